"""POST /detect: the likeliest languages of each text, among those the translation model knows."""

from __future__ import annotations

import falcon

from nllb.access.gate import AccessGate
from nllb.config import Settings
from nllb.frontend.auth import admit
from nllb.frontend.translate import translation_error
from nllb.frontend.validation import RequestSchema, parse_detect, read_json
from nllb.translation import TranslationError
from nllb.translation.service import TranslationService


class DetectResource:
    auth = "token"

    def __init__(self, settings: Settings, service: TranslationService, gate: AccessGate, schema: RequestSchema):
        self.settings = settings
        self.service = service
        self.names = {language.code: language.name for language in service.model.languages}
        self.gate = gate
        self.schema = schema

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = admit(self.gate, req, resp,
                     lambda: parse_detect(read_json(req, self.settings.max_body_bytes), self.schema, self.settings),
                     lambda parsed: sum(len(text) for text in parsed.texts))
        try:
            found = self.service.candidates(body.texts, top=body.top)
        except TranslationError as exc:
            raise translation_error(exc, self.settings.request_timeout_seconds) from None
        ranked = [[{"code": c.code, "name": self.names[c.code], "confidence": c.confidence} for c in candidates]
                  for candidates in found]
        resp.media = {"detections": ranked if body.as_list else ranked[0]}
