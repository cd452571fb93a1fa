"""Probes, answered from shared state without a round trip to the engine."""

from __future__ import annotations

import falcon

from nllb.ipc.state import EngineState, EngineStatus


class LiveResource:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"status": "alive"}


class ReadyResource:
    def __init__(self, state: EngineState):
        self.state = state

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        status = self.state.status
        ready = status == EngineStatus.READY
        resp.status = falcon.HTTP_200 if ready else falcon.HTTP_503
        if not ready:
            resp.set_header("Retry-After", "5")
        resp.media = {
            "status": "ready" if ready else "not_ready",
            "engine": status.name.lower(),
            "model_loaded": ready,
            "device": self.state.device or None,
            **({} if ready else {"reason": self.state.reason or status.name.lower()}),
        }
