"""Every error is JSON with a stable code, a message and the request id; nothing else leaks."""

from __future__ import annotations

import logging

import falcon
import ujson

from nllb.frontend.compat import errors as compat_errors

log = logging.getLogger("nllb.frontend")

# Codes for errors Falcon raises itself (routing, methods, headers).
_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    411: "length_required",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    417: "expectation_failed",
    422: "validation_error",
    429: "rate_limited",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
    503: "unavailable",
    504: "timeout",
}


def write_gunicorn_error(sock, status: int, reason: str, message: str) -> None:
    """gunicorn's answer to a request it could not parse (line or headers too long, malformed), in JSON.

    Installed over gunicorn.util.write_error in each worker: gunicorn answers
    these before the app sees the request, with an HTML page by default.
    """
    import gunicorn.util

    body = ujson.dumps({
        "error": _CODES_BY_STATUS.get(status, "bad_request"),
        "message": f"{reason}: {message[:100]}",
        "request_id": None,
    }, ensure_ascii=False).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
    gunicorn.util.write_nonblock(sock, head + body)


class APIError(falcon.HTTPError):
    """An error a client can act on: `code` is stable, `message` is for people."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None, **extra):
        super().__init__(falcon.code_to_http_status(status), title=code, description=message, headers=headers)
        self.code = code
        self.extra = extra


def serialize_error(req: falcon.Request, resp: falcon.Response, exc: falcon.HTTPError) -> None:
    status = falcon.http_status_to_code(exc.status)
    code = req.context.error_code = getattr(exc, "code", None) or _CODES_BY_STATUS.get(status, "error")
    message = exc.description or exc.title
    extra = getattr(exc, "extra", {})
    protocol = compat_errors.shape_for(req.path)
    if protocol is not None:
        status, body = protocol(status, code, message, extra)
        resp.status = falcon.code_to_http_status(status)
    else:
        body = {"error": code, "message": message, **extra, "request_id": getattr(req.context, "request_id", None)}
    resp.content_type = falcon.MEDIA_JSON
    resp.data = ujson.dumps(body, ensure_ascii=False, escape_forward_slashes=False).encode()


def handle_unexpected(req: falcon.Request, resp: falcon.Response, exc: Exception, params: dict) -> None:
    """A bug: log it with the request id, answer without any internal detail."""
    if isinstance(exc, falcon.HTTPError):
        raise exc
    log.exception("request %s failed", getattr(req.context, "request_id", "-"))
    raise APIError(500, "internal_error", "The server failed to handle this request; it has been logged.")


def handle_store_unavailable(req: falcon.Request, resp: falcon.Response, exc: Exception, params: dict) -> None:
    """The token database failed (locked, read-only, deleted): a clear 503, and the reason in the log."""
    log.error("request %s: %s", getattr(req.context, "request_id", "-"), exc)
    raise APIError(503, "token_store_unavailable", "Tokens cannot be read or changed right now; retry shortly.",
                   headers={"Retry-After": "5"})
