"""POST /translate."""

from __future__ import annotations

import dataclasses
import math
import socket
import time

import falcon

from nllb import metrics
from nllb.access.gate import AccessGate
from nllb.config import Settings
from nllb.frontend.auth import charge
from nllb.frontend.errors import APIError
from nllb.frontend.validation import (
    RequestSchema,
    TranslateRequest,
    parse_translate,
    read_json,
)
from nllb.ipc.client import (
    CircuitOpen,
    ClientGone,
    DeadlineExceeded,
    EngineUnavailable,
    Overloaded,
    TranslationFailed,
)
from nllb.ipc.slots import SlotStatus
from nllb.ipc.state import EngineState
from nllb.translation import Translated, TranslationService

_ENGINE_ERRORS = (EngineUnavailable, DeadlineExceeded, Overloaded, CircuitOpen, TranslationFailed, ClientGone)
SYNTHETIC_WARNING = "synthetic model with random weights: translations are gibberish"


@dataclasses.dataclass
class TranslationRecord:
    """What the request log and metrics say about one translation request."""

    request: TranslateRequest
    characters: int
    result: Translated | None = None

    source_lang = property(lambda self: self.request.source_lang)
    target_lang = property(lambda self: self.request.target_lang)
    quality = property(lambda self: self.request.quality)

    @property
    def all_cached(self) -> bool:
        return self.result is not None and self.result.segments == self.result.cached_segments > 0

    def log_fields(self, log_text: bool) -> dict:
        fields = {
            "source_lang": self.request.source_lang, "target_lang": self.request.target_lang,
            "quality": self.request.quality, "texts": len(self.request.texts), "characters": self.characters,
        }
        if self.result is not None:
            fields.update(segments=self.result.segments, cached_segments=self.result.cached_segments)
            if log_text:
                fields["translation"] = self.result.texts
        if log_text:
            fields["text"] = self.request.texts
        return fields


class TranslateResource:
    auth = "token"

    def __init__(self, settings: Settings, service: TranslationService, state: EngineState, gate: AccessGate,
                 schema: RequestSchema):
        self.settings = settings
        self.schema = schema
        self.gate = gate
        self.service = service
        self.state = state
        self.languages = service.model.languages
        self.warning = SYNTHETIC_WARNING if service.model.synthetic else None

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        try:
            body = read_json(req, self.settings.max_body_bytes)
            request = parse_translate(body, self.schema, self.settings, self.languages)
        except APIError:
            # A refused request still costs its caller one request of its budget.
            charge(self.gate, req, resp, 0)
            raise
        characters = sum(len(text) for text in request.texts)
        record = req.context.translation = TranslationRecord(request, characters)
        charge(self.gate, req, resp, characters)
        # From when the request arrived, not from when a thread got to it (nllb.frontend.worker).
        arrived = req.env.get("nllb.arrived") or time.monotonic()
        deadline = arrived + self.settings.request_timeout_seconds
        try:
            result = self.service.translate(
                request.texts, request.source_lang, request.target_lang, request.quality,
                deadline, req.context.request_id, _hang_up_detector(req),
            )
        except _ENGINE_ERRORS as exc:
            raise self._engine_error(exc) from None
        record.result = result
        self.gate.record_usage(req.context.principal, characters)
        metrics.segments_total.inc(result.segments)
        metrics.characters_total.inc(characters)
        resp.media = {
            "translation": result.texts if request.as_list else result.texts[0],
            "source_lang": request.source_lang,
            "target_lang": request.target_lang,
            "device": self.state.device,
            "cached": record.all_cached,
            "cached_segments": result.cached_segments,
            "quality": request.quality,
            **({"warning": self.warning} if self.warning else {}),
        }

    def _engine_error(self, exc: Exception) -> falcon.HTTPError:
        """What a client is told when the engine did not translate its request."""
        if isinstance(exc, EngineUnavailable):
            return APIError(503, "engine_unavailable", f"The translation engine is not available: {exc}",
                            headers={"Retry-After": "5"})
        if isinstance(exc, DeadlineExceeded):
            return APIError(504, "timeout", f"No translation within {self.settings.request_timeout_seconds:g} s.")
        if isinstance(exc, Overloaded):
            return APIError(503, "overloaded", "Too many translations are waiting; retry shortly.",
                            headers={"Retry-After": "1"})
        if isinstance(exc, CircuitOpen):
            return APIError(503, "circuit_open", "The device is failing; translations are paused.",
                            headers={"Retry-After": str(max(1, math.ceil(exc.retry_after)))})
        if isinstance(exc, TranslationFailed) and exc.status == SlotStatus.UNTRANSLATABLE:
            return APIError(422, "untranslatable",
                            "This input failed to translate on its own; other requests were not affected.")
        if isinstance(exc, TranslationFailed):
            return APIError(503, "device_error", "The device failed to translate this request.",
                            headers={"Retry-After": "5"})
        return falcon.HTTPError("499 Client Closed Request", title="client_closed")  # ClientGone


def _hang_up_detector(req: falcon.Request):
    """True once the client has closed its connection (read side: EOF with nothing pipelined)."""
    sock = req.env.get("gunicorn.socket")
    if sock is None:
        return lambda: False

    def hung_up() -> bool:
        try:
            return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True

    return hung_up
