"""Admin endpoints of the circuit breaker: status, simulated failures, reset."""

from __future__ import annotations

import falcon

from nllb.frontend.validation import RequestSchema, read_json

MAX_SIMULATED_FAILURES = 1000
from nllb.ipc import CircuitBreaker


class BreakerStatusResource:
    auth = "admin"

    def __init__(self, breaker: CircuitBreaker):
        self.breaker = breaker

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self.breaker.status()


class BreakerTestResource:
    """Record simulated device failures (default: enough to open it), to exercise alerts and clients."""

    auth = "admin"

    def __init__(self, breaker: CircuitBreaker, schema: RequestSchema):
        self.breaker = breaker
        self.schema = schema

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_json(req, 4096) if req.content_length else {}
        self.schema.check(body)
        for _ in range(body.get("failures", self.breaker.threshold)):
            self.breaker.failed("simulated failure (POST /admin/circuit-breaker/test)")
        resp.media = self.breaker.status()


class BreakerResetResource:
    auth = "admin"

    def __init__(self, breaker: CircuitBreaker):
        self.breaker = breaker

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.breaker.reset()
        resp.media = self.breaker.status()
