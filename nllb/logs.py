"""Logging for every process: one JSON object per line (LOG_FORMAT=json), or text.

Structured fields travel in `extra={"fields": {...}}`; the request id is one of
them, so one id can be followed from a worker's request line to the engine's
batch line. Texts and translations are logged only with LOG_TEXT=true.
"""

from __future__ import annotations

import logging
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


def formatter(settings: Settings) -> logging.Formatter:
    return JsonFormatter() if settings.log_format == "json" else TextFormatter()


def configure(settings: Settings) -> None:
    """Route the root logger (nllb's and gunicorn's records) to stderr in the chosen format."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(settings))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())


def gunicorn_logconfig(settings: Settings) -> dict:
    """gunicorn's `logconfig_dict`: its error log in nllb's format (GunicornLogger writes no access log)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"nllb": {"()": f"{__name__}.{'JsonFormatter' if settings.log_format == 'json' else 'TextFormatter'}"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "nllb"}},
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
