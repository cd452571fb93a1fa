"""POST /detect: the likeliest languages of each text, among those the translation model knows."""

from __future__ import annotations

import falcon

from nllb.access.gate import AccessGate
from nllb.config import Settings
from nllb.frontend.auth import charge
from nllb.frontend.errors import APIError
from nllb.frontend.translate import translation_error
from nllb.frontend.validation import RequestSchema, parse_detect, read_json
from nllb.languages import Languages
from nllb.translation import DetectionUnavailable
from nllb.translation.detection import LanguageDetector


class DetectResource:
    auth = "token"

    def __init__(self, settings: Settings, detector: LanguageDetector | None, languages: Languages, gate: AccessGate,
                 schema: RequestSchema):
        self.settings = settings
        self.detector = detector
        self.names = {language.code: language.name for language in languages}
        self.gate = gate
        self.schema = schema

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        try:
            body = parse_detect(read_json(req, self.settings.max_body_bytes), self.schema, self.settings)
        except APIError:
            charge(self.gate, req, resp, 0)  # a refused request still costs one request of its budget
            raise
        charge(self.gate, req, resp, sum(len(text) for text in body.texts))
        if self.detector is None:
            raise translation_error(DetectionUnavailable(), self.settings.request_timeout_seconds)
        ranked = [
            [{"code": c.code, "name": self.names[c.code], "confidence": c.confidence} for c in candidates]
            for candidates in self.detector.detect(body.texts, top=body.top)
        ]
        resp.media = {"detections": ranked if body.as_list else ranked[0]}
