"""Request id and timing for every response, errors included."""

from __future__ import annotations

import re
import secrets
import time

import falcon

# Accepted as given: short, printable, no spaces, safe to echo and to log.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


class RequestContext:
    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.started = time.perf_counter()
        given = req.get_header("X-Request-ID")
        # 32 random hex digits, as uuid4().hex had them, without building a UUID object per request.
        req.context.request_id = given if given and _REQUEST_ID.match(given) else secrets.token_hex(16)

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource, req_succeeded: bool) -> None:
        resp.set_header("X-Request-ID", req.context.request_id)
        elapsed_ms = (time.perf_counter() - req.context.started) * 1000
        resp.set_header("X-Response-Time", f"{elapsed_ms:.2f}ms")
