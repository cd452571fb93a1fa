"""POST /translate."""

from __future__ import annotations

import time

import falcon

from nllb.access.gate import AccessGate
from nllb.config import Settings
from nllb.frontend.auth import charge
from nllb.frontend.errors import APIError
from nllb.frontend.validation import parse_translate, read_json
from nllb.ipc.client import DeadlineExceeded, EngineUnavailable, TranslationFailed
from nllb.ipc.state import EngineState
from nllb.translation import TranslationService

SYNTHETIC_WARNING = "synthetic model with random weights: translations are gibberish"


class TranslateResource:
    auth = "token"

    def __init__(self, settings: Settings, service: TranslationService, state: EngineState, gate: AccessGate):
        self.settings = settings
        self.gate = gate
        self.service = service
        self.state = state
        self.languages = service.model.languages
        self.warning = SYNTHETIC_WARNING if service.model.synthetic else None

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        request = parse_translate(read_json(req, self.settings.max_body_bytes), self.settings, self.languages)
        characters = sum(len(text) for text in request.texts)
        charge(self.gate, req, resp, characters)
        deadline = time.monotonic() + self.settings.request_timeout_seconds
        try:
            translations = self.service.translate(
                request.texts, request.source_lang, request.target_lang, request.quality,
                deadline, req.context.request_id,
            )
        except EngineUnavailable as exc:
            raise APIError(
                503, "engine_unavailable", f"The translation engine is not available: {exc}",
                headers={"Retry-After": "5"},
            ) from None
        except DeadlineExceeded:
            raise APIError(
                504, "timeout", f"No translation within {self.settings.request_timeout_seconds:g} s.",
            ) from None
        except TranslationFailed:
            raise APIError(
                503, "translation_failed", "The device failed to translate this request.",
                headers={"Retry-After": "5"},
            ) from None
        self.gate.record_usage(req.context.principal, characters)
        resp.media = {
            "translation": translations if request.as_list else translations[0],
            "source_lang": request.source_lang,
            "target_lang": request.target_lang,
            "device": self.state.device,
            "cached": False,
            "quality": request.quality,
            **({"warning": self.warning} if self.warning else {}),
        }
