"""The WSGI entry point gunicorn loads in each worker, after nllb's post_fork hook."""

from nllb.server import worker_app

app = worker_app()
