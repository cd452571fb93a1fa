"""Parameters as these protocols send them: the query string, and a JSON or form body, a key repeated
for a list (`text=a&text=b`)."""

from __future__ import annotations

import dataclasses
import urllib.parse

import falcon
import ujson

from nllb.frontend.errors import APIError
from nllb.frontend.validation import read_body


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
