"""GET /usage: the calling token's budgets in the current window."""

from __future__ import annotations

import math

import falcon

from nllb.access.gate import AccessGate


class UsageResource:
    auth = "token"

    def __init__(self, gate: AccessGate):
        self.gate = gate

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        principal = req.context.principal
        decision = self.gate.peek(principal)
        body = {"token": {"id": principal.token_id, "name": principal.name}}
        if decision is None or not self.gate.settings.rate_limit_enabled:
            body["limits"] = None
        else:
            body["limits"] = {
                name: {
                    "limit": o.budget.limit,
                    "window_seconds": o.budget.window,
                    "used": o.budget.limit - o.remaining,
                    "remaining": o.remaining,
                    "reset_seconds": math.ceil(o.reset_seconds),
                }
                for name, o in zip(("requests", "characters"), decision.outcomes)
            }
        resp.media = body
