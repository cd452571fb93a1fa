"""Admin endpoints for tokens: create, list, show, deactivate, activate, set limits."""

from __future__ import annotations

import falcon

from nllb.access.tokens import Limits, TokenError
from nllb.frontend.errors import APIError
from nllb.frontend.validation import RequestSchema, read_json

_MAX_BODY_BYTES = 64 * 1024


def _token_error(error: TokenError) -> APIError:
    status = 409 if error.code == "name_taken" else 422
    return APIError(status, error.code, str(error), **({"field": error.field} if error.field else {}))


def parse_limits(body: dict) -> Limits:
    """`rate_limit: {requests, window_seconds}`, `char_limit: {characters, window_seconds}`, checked by the schema;
    null or absent: the service's defaults."""
    rate, chars = body.get("rate_limit") or {}, body.get("char_limit") or {}
    return Limits(rate.get("requests"), rate.get("window_seconds"), chars.get("characters"), chars.get("window_seconds"))


# The token rules' own codes, as the store and the CLI report them too.
_CODES = {"name": "invalid_name", "description": "invalid_description"}


def _id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise APIError(404, "not_found", "No token has this id.")
    return int(raw)


class TokensResource:
    auth = "admin"

    def __init__(self, store, schema: RequestSchema):
        self.store = store
        self.schema = schema

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_json(req, _MAX_BODY_BYTES)
        self.schema.check(body, _CODES)
        try:
            record, token = self.store.create(body["name"], body.get("description"), parse_limits(body))
        except TokenError as error:
            raise _token_error(error) from None
        resp.status = falcon.HTTP_201
        resp.media = {**record.public(), "token": token}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"tokens": [record.public() for record in self.store.list()]}


class TokenResource:
    auth = "admin"

    def __init__(self, store, schema: RequestSchema):
        self.store = store
        self.schema = schema

    def on_get(self, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
        resp.media = self._found(self.store.get(_id(token_id))).public()

    def on_delete(self, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
        """Deactivate: the token stops working everywhere within seconds; it can be activated again."""
        resp.media = self._found(self.store.set_active(_id(token_id), False)).public()

    def on_patch(self, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
        body = read_json(req, _MAX_BODY_BYTES)
        self.schema.check(body)
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
