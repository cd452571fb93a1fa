"""Probes and service information, answered from shared state without a round trip to the engine."""

from __future__ import annotations

import importlib.metadata
import platform

import falcon

from nllb import __version__
from nllb.config import Settings
from nllb.ipc import CircuitBreaker, EngineState, EngineStatus
from nllb.modeldir import ModelDirectory
from nllb.translation.detection import LanguageDetector


class Health:
    """What the probes and /health/info report, from shared memory."""

    def __init__(self, settings: Settings, state: EngineState, breaker: CircuitBreaker, store):
        self.settings = settings
        self.state = state
        self.breaker = breaker
        self.store = store

    def problems(self) -> dict[str, str | None]:
        """Each readiness check, in order of what to fix first: None when it passes, otherwise why not."""
        state = self.state
        down = state.reason or state.status.name.lower()
        return {
            "model_loaded": None if state.status == EngineStatus.READY else down,
            "engine_alive": None if state.status != EngineStatus.DOWN else down,
            "engine_responsive": state.stall(),
            "circuit_closed": "the circuit breaker is open" if self.breaker.rejects_now() else None,
            "queue_not_saturated": "the queue is full" if state.queue_depth >= self.settings.max_queue_size else None,
            "token_store": self.store.problem(),
        }


class LiveResource:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"status": "alive"}


class ReadyResource:
    def __init__(self, health: Health):
        self.health = health

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        problems = self.health.problems()
        reason = next((problem for problem in problems.values() if problem), None)
        checks = {name: problem is None for name, problem in problems.items()}
        resp.status = falcon.HTTP_200 if reason is None else falcon.HTTP_503
        body = {"status": "ready" if reason is None else "not_ready", "checks": checks,
                "model_loaded": checks["model_loaded"], "device": self.health.state.device or None}
        if reason is not None:
            resp.set_header("Retry-After", "5")
            body["reason"] = reason
        resp.media = body


class SummaryResource:
    """GET /health: the original service's summary."""

    def __init__(self, health: Health):
        self.health = health

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        problems = self.health.problems()
        healthy = not any(problems.values())
        resp.status = falcon.HTTP_200 if healthy else falcon.HTTP_503
        resp.media = {
            "status": "healthy" if healthy else "unhealthy",
            "model_loaded": problems["model_loaded"] is None,
            "device": self.health.state.device or None,
            "circuit_breaker": self.health.breaker.state.name.lower(),
            "queue_depth": self.health.state.queue_depth,
        }


class InfoResource:
    """GET /health/info: versions, device, model and features — never a secret."""

    def __init__(self, health: Health, model: ModelDirectory, cache_status=lambda: None,
                 detector: LanguageDetector | None = None):
        self.health = health
        self.model = model
        self.cache_status = cache_status
        self.detection = detector.describe() if detector else None
        self.versions = {"nllb": __version__, "python": platform.python_version()}
        for package in ("ctranslate2", "gunicorn", "falcon", "sentencepiece"):
            self.versions[package] = importlib.metadata.version(package)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        s, state = self.health.settings, self.health.state
        resp.media = {
            "versions": self.versions,
            "engine": {"status": state.status.name.lower(), "device": state.device or None,
                       "compute_type": state.compute_type or None, "restarts": state.restarts},
            "model": {
                "fingerprint": self.model.fingerprint,
                "size_bytes": (self.model.path / "model.bin").stat().st_size,
                "languages": len(self.model.languages),
                "synthetic": self.model.synthetic,
            },
            "workers": s.workers,
            "threads": s.threads,
            "cache": self.cache_status(),
            "language_identification": self.detection,
            "auth_enabled": s.auth_enabled,
            "rate_limiting": {
                "enabled": s.rate_limit_enabled,
                "requests": s.rate_limit_requests,
                "characters": s.rate_limit_characters,
                "window_seconds": s.rate_limit_window_seconds,
                "shared": s.redis_url is not None,
            },
            "token_store": s.token_store,
            "circuit_breaker": self.health.breaker.status(),
            "limits": {"max_texts": s.max_texts, "max_text_chars": s.max_text_chars,
                       "max_body_bytes": s.max_body_bytes, "request_timeout_seconds": s.request_timeout_seconds},
        }
