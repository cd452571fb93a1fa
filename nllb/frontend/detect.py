"""POST /detect: the likeliest languages of each text, among those the translation model knows."""

from __future__ import annotations

import falcon

from nllb.access.gate import AccessGate
from nllb.config import Settings
from nllb.frontend.auth import admit
from nllb.frontend.translate import candidates
from nllb.frontend.validation import RequestSchema, parse_detect, read_json
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
        ranked = [[{"code": c.code, "name": self.names[c.code], "confidence": c.confidence} for c in found]
                  for found in candidates(self.service, body.texts, body.top)]
        resp.media = {"detections": ranked if body.as_list else ranked[0]}
