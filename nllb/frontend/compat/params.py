"""Parameters as these protocols send them: the query string, and a JSON or form body, a key repeated
for a list (`text=a&text=b`)."""

from __future__ import annotations

import dataclasses
import urllib.parse

import falcon
import ujson

from nllb.access.gate import AccessGate
from nllb.config import Settings
from nllb.frontend.errors import APIError
from nllb.frontend.validation import read_body
from nllb.languages import LanguageTags
from nllb.translation.service import TranslationService


class KeyedResource:
    """A resource of a protocol that sends its API key among the parameters: the key, else the Authorization
    header, is the bearer token; the parameters are read once, here, and kept for the responder."""

    auth = "token"

    def __init__(self, settings: Settings, service: TranslationService, tags: LanguageTags, gate: AccessGate):
        self.settings = settings
        self.service = service
        self.tags = tags
        self.gate = gate

    def authorization(self, req: falcon.Request) -> str | None:
        req.context.params = read_params(req, self.settings.max_body_bytes)
        key = self.key(req)
        return f"Bearer {key}" if isinstance(key, str) and key else req.get_header("Authorization")

    def key(self, req: falcon.Request) -> object:
        """The API key where this protocol puts it (req.context.params holds the parameters)."""
        raise NotImplementedError


@dataclasses.dataclass
class Params:
    values: dict[str, list]  # every value of each parameter, query string first
    arrays: set[str]  # the parameters a JSON body sent as an array

    def get(self, name: str) -> list:
        return self.values.get(name, [])

    def one(self, name: str, default=None):
        """A parameter sent once (the last value wins, as these services do)."""
        values = self.values.get(name)
        return values[-1] if values else default


def read_params(req: falcon.Request, max_bytes: int) -> Params:
    params = Params({}, set())
    for name, value in urllib.parse.parse_qsl(req.query_string, keep_blank_values=True):
        params.values.setdefault(name, []).append(value)
    if not req.content_length and req.content_type is None:
        return params
    media = (req.content_type or "").split(";")[0].strip().lower()
    raw = read_body(req, max_bytes)
    if media == falcon.MEDIA_JSON:
        try:
            body = ujson.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise APIError(400, "invalid_json", "The body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise APIError(400, "invalid_json", "The body must be a JSON object.")
        for name, value in body.items():
            if isinstance(value, list):
                params.arrays.add(name)
            params.values.setdefault(name, []).extend(value if isinstance(value, list) else [value])
    elif media in ("application/x-www-form-urlencoded", ""):
        try:
            pairs = urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=10_000)
        except (UnicodeDecodeError, ValueError):
            raise APIError(400, "invalid_body", "The form body is not valid UTF-8 form data.") from None
        for name, value in pairs:
            params.values.setdefault(name, []).append(value)
    else:
        raise APIError(415, "unsupported_media_type", "Send the body as application/json or a form.")
    return params
