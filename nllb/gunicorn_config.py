"""gunicorn settings and hooks for nllb (`gunicorn -c python:nllb.gunicorn_config`)."""

import sys

from nllb import logs, server
from nllb.config import ConfigError, Settings

try:
    _settings = Settings.from_env()
except ConfigError as exc:
    sys.exit(f"nllb: {exc}")

wsgi_app = "nllb.wsgi:app"
proc_name = "nllb"
bind = [_settings.bind]
workers = _settings.workers
threads = _settings.threads
# gthread that collects request heads without a thread (HEADER_TIMEOUT_SECONDS) and answers 503 at
# once while its queue for threads is not draining (THREAD_WAIT_SECONDS).
worker_class = server.worker_class(_settings.threads)
# Connections a worker holds (kept-alive ones included) and the kernel's accept queue.
worker_connections = 1000
backlog = 1024
timeout = _settings.timeout_seconds
graceful_timeout = _settings.graceful_timeout_seconds
keepalive = 5
# Request line and header limits (gunicorn answers over-long ones itself, before nllb sees them).
limit_request_line = 8190
limit_request_fields = 64
limit_request_field_size = 8190
loglevel = _settings.log_level
logconfig_dict = logs.gunicorn_logconfig(_settings)
logger_class = "nllb.logs.GunicornLogger"
accesslog = None
# The master stays single-threaded but for the engine supervisor; gunicorn's
# control socket (a thread and a socket file) is not needed.
control_socket_disable = True

on_starting = server.start
pre_fork = server.lend_slot
post_fork = server.enter_worker
child_exit = server.reclaim_slot
on_exit = server.stop
pre_exec = server.refuse_reexec
