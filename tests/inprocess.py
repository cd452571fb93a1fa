"""One worker's app in this process: the real Falcon app, middleware, access gate, token store and
translation service, with an engine that answers at once instead of a device behind shared memory.

For what the HTTP layer decides on its own — parsing, validation, auth, limits, the shape of every
answer and error. What needs the processes (signals, shared memory between them, gunicorn, Redis)
stays with the real-process tests and tests/support.py.
"""

from __future__ import annotations

import dataclasses
import secrets
from pathlib import Path

import falcon.testing

from nllb.access.gate import AccessGate
from nllb.access.ratelimit import Limiter, LocalLimiter
from nllb.access.store import SqliteTokenStore
from nllb.config import Settings
from nllb.frontend.app import create_app
from nllb.ipc import CircuitBreaker, EngineState
from nllb.ipc.exchange import BREAKER_BYTES
from nllb.ipc.memory import SharedMemory
from nllb.modeldir import ModelDirectory
from nllb.translation import SegmentJob, TranslationError
from nllb.translation.detection import LanguageDetector
from nllb.translation.service import TranslationService

ADMIN_TOKEN = "inprocess-admin-" + secrets.token_urlsafe(24)


class EchoEngine:
    """Answers each segment with its own source tokens, so a translation reads like its source;
    or raises `failure`. Keeps every job it was given."""

    def __init__(self) -> None:
        self.jobs: list[SegmentJob] = []
        self.failure: TranslationError | None = None

    def translate(self, job: SegmentJob) -> list[list[int]]:
        self.jobs.append(job)
        if self.failure is not None:
            raise self.failure
        return [list(source[:limit]) for source, limit in zip(job.sources, job.limits)]

    @property
    def segments(self) -> int:
        return sum(len(job) for job in self.jobs)


@dataclasses.dataclass
class App:
    client: falcon.testing.TestClient
    engine: EchoEngine
    state: EngineState
    breaker: CircuitBreaker
    gate: AccessGate
    settings: Settings
    model: ModelDirectory

    def create_token(self, name: str = "tests", **fields) -> str:
        resp = self.client.simulate_post("/admin/tokens", json={"name": name, **fields}, headers=self.admin)
        assert resp.status_code == 201, resp.text
        return resp.json["token"]

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    def translate(self, token: str, text, source: str | None = "eng_Latn", target: str = "fra_Latn", **fields):
        """POST /translate; `source` None leaves source_lang out."""
        body = {"text": text, "target_lang": target, **fields, **({"source_lang": source} if source else {})}
        return self.client.simulate_post("/translate", json=body, headers={"Authorization": f"Bearer {token}"})


def make_app(model: ModelDirectory, data_dir: Path, **env: str) -> App:
    """A fresh app with its own token database and shared records; `env` as the service's environment."""
    settings = Settings.from_env({"ADMIN_TOKEN": ADMIN_TOKEN, "DATA_DIR": str(data_dir), **env})
    state = EngineState(SharedMemory.create("test-state", EngineState.size))
    state.set_stall_limits(settings.engine_stall_seconds, settings.batch_stall_seconds)
    state.begin_epoch()
    state.set_ready("cpu", "float32")
    breaker = CircuitBreaker(SharedMemory.create("test-breaker", BREAKER_BYTES), settings)
    gate = AccessGate(settings, ADMIN_TOKEN, SqliteTokenStore(settings.database),
                      Limiter(LocalLimiter.create("test-limits"), None))
    engine = EchoEngine()
    detector = LanguageDetector(settings.lid_model_path, model.languages) if settings.lid_model_path else None
    service = TranslationService(settings, model, engine, detector=detector)
    app = create_app(settings, service, state, gate, breaker, model)
    return App(falcon.testing.TestClient(app), engine, state, breaker, gate, settings, model)
