"""Logging for every process: one JSON object per line (LOG_FORMAT=json), or text.

Structured fields travel in `extra={"fields": {...}}`; the request id is one of
them, so one id can be followed from a worker's request line to the engine's
batch line. Texts and translations are logged only with LOG_TEXT=true.
"""

from __future__ import annotations

import logging
import os
import time

import ujson
from gunicorn import glogging

from nllb.config import Settings


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return ujson.dumps(entry, ensure_ascii=False, escape_forward_slashes=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S %z")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = getattr(record, "fields", None)
        if fields:
            line += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        return line


class LineHandler(logging.Handler):
    """Each record as whole-line writes to stderr, without the handler's lock.

    StreamHandler holds its lock across the write, and the write lets the GIL
    go: the writer must win the GIL back before it can release the lock, so
    under a burst a worker's threads queued on the lock of their log lines
    (11% of a busy worker's samples at 256 in flight on an H200). A line
    written with one write(2) needs no lock: Linux appends it whole to a file
    and, up to PIPE_BUF (4 KiB), to a pipe.
    """

    def __init__(self, fd: int = 2):
        super().__init__()
        self.fd = fd

    def handle(self, record: logging.LogRecord) -> bool:
        if not (kept := self.filter(record)):
            return False
        self.emit(kept if isinstance(kept, logging.LogRecord) else record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = (self.format(record) + "\n").encode("utf-8", "backslashreplace")
            while line:
                line = line[os.write(self.fd, line):]
        except Exception:
            self.handleError(record)


def formatter(settings: Settings) -> logging.Formatter:
    return JsonFormatter() if settings.log_format == "json" else TextFormatter()


def configure(settings: Settings) -> None:
    """Route the root logger (nllb's and gunicorn's records) to stderr in the chosen format."""
    handler = LineHandler()
    handler.setFormatter(formatter(settings))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # No formatter here prints where a record was made or on which thread, so
    # logging need not find out for every record: the stack walk and thread
    # lookup were a quarter of a request line's cost (the logging HOWTO's
    # "Optimization" names these switches).
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False


def gunicorn_logconfig(settings: Settings) -> dict:
    """gunicorn's `logconfig_dict`: its error log in nllb's format (GunicornLogger writes no access log)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"nllb": {"()": f"{__name__}.{'JsonFormatter' if settings.log_format == 'json' else 'TextFormatter'}"}},
        "handlers": {"stderr": {"class": f"{__name__}.LineHandler", "formatter": "nllb"}},
        "root": {"level": settings.log_level.upper(), "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": settings.log_level.upper(), "handlers": [], "propagate": True},
        },
    }


class GunicornLogger(glogging.Logger):
    """gunicorn's logger without its access log: nllb writes one line per request itself (nllb.request).

    With a logging configuration given, gunicorn builds every request's access
    line — a dict of a dozen fields — and only then finds its logger disabled.
    """

    def access(self, resp, req, environ, request_time) -> None:
        return
