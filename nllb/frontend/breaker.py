"""Admin endpoints of the circuit breaker: status, simulated failures, reset."""

from __future__ import annotations

import falcon

from nllb.engine.breaker import CircuitBreaker
from nllb.frontend.errors import APIError
from nllb.frontend.validation import read_json


class BreakerStatusResource:
    auth = "admin"

    def __init__(self, breaker: CircuitBreaker):
        self.breaker = breaker

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self.breaker.status()


class BreakerTestResource:
    """Record simulated device failures (default: enough to open it), to exercise alerts and clients."""

    auth = "admin"

    def __init__(self, breaker: CircuitBreaker):
        self.breaker = breaker

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_json(req, 4096) if req.content_length else {}
        failures = body.get("failures", self.breaker.threshold) if isinstance(body, dict) else None
        if not isinstance(failures, int) or isinstance(failures, bool) or not 1 <= failures <= 1000:
            raise APIError(422, "validation_error", "`failures` must be a whole number from 1 to 1000.", field="failures")
        for _ in range(failures):
            self.breaker.failed("simulated failure (POST /admin/circuit-breaker/test)")
        resp.media = self.breaker.status()


class BreakerResetResource:
    auth = "admin"

    def __init__(self, breaker: CircuitBreaker):
        self.breaker = breaker

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.breaker.reset()
        resp.media = self.breaker.status()
