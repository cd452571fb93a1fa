"""Admin endpoints for tokens: create, list, show, deactivate, activate, set limits."""

from __future__ import annotations

import falcon

from nllb.access.tokens import Limits, TokenError
from nllb.config import Settings
from nllb.frontend.errors import APIError
from nllb.frontend.validation import read_json


def _token_error(error: TokenError) -> APIError:
    status = 409 if error.code == "name_taken" else 422
    return APIError(status, error.code, str(error), **({"field": error.field} if error.field else {}))


def parse_limits(body: dict) -> Limits:
    """`rate_limit: {requests, window_seconds}`, `char_limit: {characters, window_seconds}`; null clears."""
    values: dict = {}
    for field, count_name, prefix in (("rate_limit", "requests", "requests"), ("char_limit", "characters", "characters")):
        value = body.get(field)
        if value is None:
            continue
        if not isinstance(value, dict):
            raise APIError(422, "validation_error", f"`{field}` must be an object.", field=field)
        count, window = value.get(count_name), value.get("window_seconds")
        for name, number in ((count_name, count), ("window_seconds", window)):
            if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 10**12:
                raise APIError(422, "validation_error", f"`{field}.{name}` must be a positive whole number.",
                               field=f"{field}.{name}")
        values[prefix] = count
        values[f"{prefix}_window"] = window
    return Limits(**values)


def _id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise APIError(404, "not_found", "No token has this id.")
    return int(raw)


class TokensResource:
    auth = "admin"

    def __init__(self, settings: Settings, store):
        self.settings = settings
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_json(req, 64 * 1024)
        if not isinstance(body, dict):
            raise APIError(422, "validation_error", "The body must be a JSON object.", field="body")
        limits = parse_limits(body)
        try:
            record, token = self.store.create(body.get("name"), body.get("description"), limits)
        except TokenError as error:
            raise _token_error(error) from None
        resp.status = falcon.HTTP_201
        resp.media = {**record.public(), "token": token}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"tokens": [record.public() for record in self.store.list()]}


class TokenResource:
    auth = "admin"

    def __init__(self, store):
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
        resp.media = self._found(self.store.get(_id(token_id))).public()

    def on_delete(self, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
        """Deactivate: the token stops working everywhere within seconds; it can be activated again."""
        resp.media = self._found(self.store.set_active(_id(token_id), False)).public()

    def on_patch(self, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
        body = read_json(req, 64 * 1024)
        if not isinstance(body, dict):
            raise APIError(422, "validation_error", "The body must be a JSON object.", field="body")
        resp.media = self._found(self.store.set_limits(_id(token_id), parse_limits(body))).public()

    @staticmethod
    def _found(record):
        if record is None:
            raise APIError(404, "not_found", "No token has this id.")
        return record


class TokenActivationResource:
    auth = "admin"

    def __init__(self, store):
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
        resp.media = TokenResource._found(self.store.set_active(_id(token_id), True)).public()
