"""GET /openapi.json: the OpenAPI 3.1 description of every route this app serves.

Built from the settings and the model (limits, language codes), so what it
publishes is what the server enforces. A test holds it to the app's routes.
"""

from __future__ import annotations

import falcon

from nllb import __version__
from nllb.access.tokens import MAX_DESCRIPTION_LENGTH, MAX_LIMIT, NAME_PATTERN
from nllb.config import QUALITIES, QUALITY_BEAMS, Settings
from nllb.frontend.breaker import MAX_SIMULATED_FAILURES
from nllb.languages import Languages

_JSON = "application/json"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str, example: object | None = None) -> dict:
    content: dict = {"schema": schema}
    if example is not None:
        content["example"] = example
    return {"description": description, "content": {_JSON: content}}


def _errors(*statuses: int) -> dict:
    names = {400: "Malformed body", 401: "Missing, malformed, unknown or revoked token", 403: "Admin token needed",
             408: "The request head did not arrive in time",
             404: "Not found", 409: "Conflict", 413: "Over a size limit", 415: "Not application/json",
             422: "Invalid field", 429: "Rate limited", 503: "Unavailable; retry after Retry-After", 504: "Timed out"}
    return {str(s): _json(_ref("Error"), names[s]) for s in statuses}


def _per_text(schema: dict) -> dict:
    """One value for a text, a list of them for a list of texts."""
    return {"oneOf": [schema, {"type": "array", "items": schema}]}


def _page(summary: str) -> dict:
    return {"summary": summary, "responses": {
        "200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}, **_errors(404)}}


def build(settings: Settings, languages: Languages) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "nllb", "version": __version__,
            "description": "NLLB-200 translation. Limits: "
                           f"{settings.max_texts} texts per request, {settings.max_text_chars} characters per text, "
                           f"{settings.max_body_bytes} bytes per body.",
        },
        "paths": {**_service_paths(settings), **_admin_paths(), **_deepl_paths(), **_libretranslate_paths(),
                  **_google_paths()},
        "components": {
            "schemas": {**_translation_schemas(settings, languages), **_admin_schemas(), **_deepl_schemas(settings),
                        **_libretranslate_schemas(settings), **_google_schemas(settings)},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API token (nllb_…)."},
                "admin": {"type": "http", "scheme": "bearer", "description": "The admin token."},
                "deepl": {"type": "apiKey", "in": "header", "name": "Authorization",
                          "description": "`DeepL-Auth-Key <API token>`, as DeepL's clients send it."},
                "libretranslate": {"type": "apiKey", "in": "query", "name": "api_key",
                                   "description": "An API token, as `api_key` in the query string or the body."},
                "googleKey": {"type": "apiKey", "in": "query", "name": "key", "description": "An API token."},
                "googleHeader": {"type": "apiKey", "in": "header", "name": "x-goog-api-key",
                                 "description": "An API token."},
            },
        },
    }


def _translation_schemas(settings: Settings, languages: Languages) -> dict:
    text_item = {"type": "string", "maxLength": settings.max_text_chars}
    texts = {"oneOf": [text_item, {"type": "array", "items": text_item, "maxItems": settings.max_texts}]}
    candidate = {"type": "object", "required": ["code", "name", "confidence"], "properties": {
        "code": {"type": "string"}, "name": {"type": "string"},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1}}}
    return {
        "Language": {"type": "string", "enum": sorted(lang.code for lang in languages),
                     "description": "A FLORES-200 code the model knows."},
        "TranslateRequest": {
            "type": "object",
            "required": ["text", "target_lang"],
            "properties": {
                "text": texts,
                "source_lang": {"anyOf": [_ref("Language"), {"const": "auto"}], "default": "auto",
                                "description": "auto, or absent: each text's language is identified on its own "
                                               "(needs LID_MODEL_PATH)."},
                "target_lang": _ref("Language"),
                "format": {"type": "string", "enum": ["text", "html", "xml"], "default": "text",
                           "description": "html or xml: the text of each document is translated, every tag, "
                                          "attribute and entity kept."},
                "translate_attributes": {"type": "boolean", "default": False,
                                         "description": "html: translate alt, title and placeholder too."},
                "quality": {"type": "string", "enum": list(QUALITIES), "default": settings.default_quality,
                            "description": "; ".join(f"{name}: beam {beam}" for name, beam in QUALITY_BEAMS.items())},
            },
        },
        "TranslateResponse": {
            "type": "object",
            "required": ["translation", "source_lang", "target_lang", "device", "cached", "quality"],
            "properties": {
                "translation": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                "source_lang": {"type": "string"}, "target_lang": {"type": "string"},
                "device": {"type": "string"}, "cached": {"type": "boolean"},
                "cached_segments": {"type": "integer"}, "quality": {"type": "string"},
                "warning": {"type": "string"},
                "detected_source_lang": {**_per_text({"type": ["string", "null"]}),
                                         "description": "Only without a source_lang: what each text was read as."},
                "detection_confidence": _per_text({"type": "number"}),
                "unchanged": {**_per_text({"type": "boolean"}),
                              "description": "Already in the target language (or empty): returned as sent."},
            },
        },
        "DetectRequest": {
            "type": "object", "required": ["text"],
            "properties": {"text": texts, "top": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3}},
        },
        "DetectResponse": {
            "type": "object", "required": ["detections"],
            "properties": {"detections": _per_text({"type": "array", "items": candidate})},
        },
        "Error": {
            "type": "object",
            "required": ["error", "message", "request_id"],
            "properties": {
                "error": {"type": "string", "description": "A stable machine-readable code."},
                "message": {"type": "string"}, "request_id": {"type": ["string", "null"]},
                "field": {"type": "string"}, "suggestion": {"type": "string"}, "limit": {"type": "integer"},
            },
        },
        "Object": {"type": "object"},
    }


def _admin_schemas() -> dict:
    def budget(count: str) -> dict:
        number = {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}
        return {"type": ["object", "null"], "properties": {count: number, "window_seconds": number},
                "required": [count, "window_seconds"],
                "description": "null removes the token's own limit: the service's default applies."}

    limits = {"rate_limit": budget("requests"), "char_limit": budget("characters")}
    return {
        "TokenCreate": {
            "type": "object", "required": ["name"],
            "properties": {"name": {"type": "string", "pattern": NAME_PATTERN.pattern},
                           "description": {"type": ["string", "null"], "maxLength": MAX_DESCRIPTION_LENGTH},
                           **limits},
        },
        "TokenLimits": {"type": "object", "properties": limits},
        "Token": {"type": "object", "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}, "description": {"type": "string"},
            "prefix": {"type": "string"}, "active": {"type": "boolean"},
            "created_at": {"type": "string"}, "last_used_at": {"type": ["string", "null"]},
            "limits": {"type": "object"}, "usage": {"type": "object"},
            "token": {"type": "string", "description": "Only in the answer to its creation."}}},
        "BreakerTest": {"type": "object", "properties": {
            "failures": {"type": "integer", "minimum": 1, "maximum": MAX_SIMULATED_FAILURES,
                         "description": "Default: enough to open the breaker."}}},
    }


def _get(summary: str, schema: dict, security=None, errors=()) -> dict:
    op = {"summary": summary, "responses": {"200": _json(schema, "OK"), **_errors(*errors)}}
    if security:
        op["security"] = security
    return op


def _admin(summary: str, schema: dict | None = None, body: str | None = None, status: str = "200",
           errors=(401, 403)) -> dict:
    if body is not None:  # a body can also be malformed, too large or not JSON
        errors = tuple(sorted(set(errors) | {400, 413, 415, 422}))
    op = {"summary": summary, "security": [{"admin": []}],
          "responses": {status: _json(schema or _ref("Object"), "OK"), **_errors(*errors)}}
    if body is not None:
        op["requestBody"] = {"required": body != "BreakerTest", "content": {_JSON: {"schema": _ref(body)}}}
    return op


def _service_paths(settings: Settings) -> dict:
    token_auth = [{"bearer": []}]
    example_texts = {"text": ["Hello world. How are you?", "Привіт, світе!", "你好，世界。"],
                     "source_lang": "eng_Latn", "target_lang": "fra_Latn", "quality": "balanced"}
    return {
        "/translate": {"post": {
            "summary": "Translate a text or a list of texts",
            "security": token_auth,
            "requestBody": {"required": True, "content": {_JSON: {"schema": _ref("TranslateRequest"),
                                                                  "example": example_texts}}},
            "responses": {"200": _json(_ref("TranslateResponse"), "Translated"),
                          **_errors(400, 401, 408, 413, 415, 422, 429, 503, 504)},
        }},
        "/detect": {"post": {
            "summary": "Identify the language of a text or a list of texts",
            "security": token_auth,
            "requestBody": {"required": True, "content": {_JSON: {"schema": _ref("DetectRequest"), "example": {
                "text": ["Bonjour tout le monde.", "Wie geht es dir?"], "top": 3}}}},
            "responses": {"200": _json(_ref("DetectResponse"), "Candidates, likeliest first"),
                          **_errors(400, 401, 408, 413, 415, 422, 429)},
        }},
        "/languages": {"get": _get("Languages of the loaded model", _ref("Object"))},
        "/usage": {"get": _get("This token's budgets in the current window", _ref("Object"), token_auth, (401,))},
        "/health": {"get": _get("Summary of the service's health", _ref("Object"), errors=(503,))},
        "/health/live": {"get": _get("The worker answers", _ref("Object"))},
        "/health/ready": {"get": _get("Ready to translate", _ref("Object"), errors=(503,))},
        "/health/info": {"get": _get("Versions, device, model and features", _ref("Object"))},
        "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {
            "description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}},
            **({"security": [{"admin": []}]} if settings.metrics_auth == "admin" else {})}},
        "/openapi.json": {"get": _get("This document", _ref("Object"))},
        "/docs": {"get": _page("Swagger UI for this document")},
        "/redoc": {"get": _page("ReDoc for this document")},
        "/docs/assets/{name}": {"get": {
            "summary": "The documentation pages' scripts and styles",
            "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "The file", "content": {"*/*": {"schema": {"type": "string"}}}},
                          **_errors(404)},
        }},
    }


def _admin_paths() -> dict:
    token_id = [{"name": "token_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    return {
        "/admin/tokens": {
            "post": _admin("Create a token (shown once)", _ref("Token"), "TokenCreate", "201", (401, 403, 409, 422)),
            "get": _admin("List tokens"),
        },
        "/admin/tokens/{token_id}": {
            "parameters": token_id,
            "get": _admin("Show a token", _ref("Token"), errors=(401, 403, 404)),
            "patch": _admin("Set a token's limits", _ref("Token"), "TokenLimits", errors=(401, 403, 404, 422)),
            "delete": _admin("Deactivate a token", _ref("Token"), errors=(401, 403, 404)),
        },
        "/admin/tokens/{token_id}/activate": {
            "parameters": token_id,
            "post": _admin("Activate a token again", _ref("Token"), errors=(401, 403, 404)),
        },
        "/admin/cache": {"delete": _admin("Remove this service's cache entries", errors=(401, 403, 404, 503))},
        "/admin/cache/stats": {"get": _admin("Cache keys, memory, hits and misses", errors=(401, 403, 404, 503))},
        "/admin/circuit-breaker/status": {"get": _admin("Circuit breaker state")},
        "/admin/circuit-breaker/test": {"post": _admin("Record simulated device failures", body="BreakerTest")},
        "/admin/circuit-breaker/reset": {"post": _admin("Close the circuit breaker")},
    }


def _deepl_schemas(settings: Settings) -> dict:
    text = {"type": "string", "maxLength": settings.max_text_chars}
    return {
        "DeepLTranslateRequest": {
            "type": "object", "required": ["text", "target_lang"],
            "description": "DeepL API v2; also as a form body with `text` repeated.",
            "properties": {
                "text": {"oneOf": [text, {"type": "array", "items": text, "minItems": 1,
                                          "maxItems": settings.max_texts}]},
                "source_lang": {"type": "string", "description": "DE, EN, PT, ZH, … — absent: identified"},
                "target_lang": {"type": "string", "description": "DE, EN-US, PT-BR, ZH-HANT, …"},
                "split_sentences": {"type": "string"}, "preserve_formatting": {"type": ["boolean", "string"]},
                "formality": {"type": "string"}, "context": {"type": "string"}, "model_type": {"type": "string"},
                "tag_handling": {"type": "string"}, "show_billed_characters": {"type": ["boolean", "string"]},
            },
        },
        "DeepLTranslateResponse": {"type": "object", "required": ["translations"], "properties": {"translations": {
            "type": "array", "items": {"type": "object", "required": ["detected_source_language", "text"],
                                       "properties": {"detected_source_language": {"type": "string"},
                                                      "text": {"type": "string"},
                                                      "billed_characters": {"type": "integer"}}}}}},
        "DeepLLanguages": {"type": "array", "items": {"type": "object", "required": ["language", "name"],
                                                      "properties": {"language": {"type": "string"},
                                                                     "name": {"type": "string"},
                                                                     "supports_formality": {"type": "boolean"}}}},
        "DeepLUsage": {"type": "object", "required": ["character_count", "character_limit"],
                       "properties": {"character_count": {"type": "integer"}, "character_limit": {"type": "integer"},
                                      "reset_seconds": {"type": "integer"}}},
        "DeepLError": {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}},
    }


def _deepl_paths() -> dict:
    security = [{"deepl": []}, {"bearer": []}]
    errors = {str(status): _json(_ref("DeepLError"), description) for status, description in (
        (400, "Bad request"), (403, "Missing or unknown key"), (408, "The request head did not arrive in time"),
        (413, "Over a size limit"), (429, "Too many requests"), (456, "Character budget spent"),
        (503, "Unavailable; retry after Retry-After"), (504, "Timed out"))}

    def operation(summary: str, schema: str, body: str | None = None, statuses=(400, 403, 408, 429)) -> dict:
        op = {"summary": summary, "security": security, "tags": ["DeepL API v2"],
              "responses": {"200": _json(_ref(schema), "OK"), **{str(s): errors[str(s)] for s in statuses}}}
        if body:
            op["requestBody"] = {"required": True, "content": {
                _JSON: {"schema": _ref(body)}, "application/x-www-form-urlencoded": {"schema": _ref(body)}}}
        return op

    kind = [{"name": "type", "in": "query", "schema": {"type": "string", "enum": ["source", "target"]}}]
    return {
        "/v2/translate": {"post": operation("DeepL: translate texts", "DeepLTranslateResponse",
                                            "DeepLTranslateRequest", (400, 403, 408, 413, 429, 456, 503, 504))},
        "/v2/languages": {"parameters": kind,
                          "get": operation("DeepL: source or target languages", "DeepLLanguages"),
                          "post": operation("DeepL: source or target languages", "DeepLLanguages")},
        "/v2/usage": {"get": operation("DeepL: this key's character budget", "DeepLUsage", statuses=(403, 408, 429)),
                      "post": operation("DeepL: this key's character budget", "DeepLUsage",
                                        statuses=(403, 408, 429))},
    }


def _libretranslate_schemas(settings: Settings) -> dict:
    texts = {"oneOf": [{"type": "string", "maxLength": settings.max_text_chars},
                       {"type": "array", "items": {"type": "string", "maxLength": settings.max_text_chars},
                        "minItems": 1, "maxItems": settings.max_texts}]}
    detected = {"type": "object", "required": ["confidence", "language"],
                "properties": {"confidence": {"type": "number"}, "language": {"type": "string"}}}
    return {
        "LibreTranslateRequest": {
            "type": "object", "required": ["q", "source", "target"],
            "description": "LibreTranslate; also as a form, or in the query string.",
            "properties": {"q": texts, "source": {"type": "string", "description": "a code, or auto"},
                           "target": {"type": "string"}, "format": {"type": "string", "enum": ["text", "html"]},
                           "alternatives": {"type": "integer", "minimum": 0}, "api_key": {"type": "string"}},
        },
        "LibreTranslateResponse": {"type": "object", "required": ["translatedText"], "properties": {
            "translatedText": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "detectedLanguage": {"oneOf": [detected, {"type": "array", "items": detected}]},
            "alternatives": {"type": "array"}}},
        "LibreTranslateDetectRequest": {"type": "object", "required": ["q"],
                                        "properties": {"q": texts, "api_key": {"type": "string"}}},
        "LibreTranslateDetections": {"type": "array", "items": detected},
        "LibreTranslateLanguages": {"type": "array", "items": {
            "type": "object", "required": ["code", "name", "targets"],
            "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                           "targets": {"type": "array", "items": {"type": "string"}}}}},
        "LibreTranslateError": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
    }


def _libretranslate_paths() -> dict:
    errors = {str(status): _json(_ref("LibreTranslateError"), description) for status, description in (
        (400, "Bad request"), (403, "Missing or unknown api_key"), (408, "The request head did not arrive in time"),
        (429, "Too many requests"), (503, "Unavailable; retry after Retry-After"), (504, "Timed out"))}
    security = [{"libretranslate": []}, {"bearer": []}]

    def post(summary: str, body: str, response: str) -> dict:
        return {"post": {"summary": summary, "security": security, "tags": ["LibreTranslate"],
                         "requestBody": {"required": True, "content": {
                             _JSON: {"schema": _ref(body)}, "application/x-www-form-urlencoded": {"schema": _ref(body)}}},
                         "responses": {"200": _json(_ref(response), "OK"), **errors}}}

    return {
        "/libretranslate/translate": post("LibreTranslate: translate", "LibreTranslateRequest",
                                          "LibreTranslateResponse"),
        "/libretranslate/detect": post("LibreTranslate: identify the language", "LibreTranslateDetectRequest",
                                       "LibreTranslateDetections"),
        "/libretranslate/languages": {"get": {"summary": "LibreTranslate: languages", "tags": ["LibreTranslate"],
                                              "responses": {"200": _json(_ref("LibreTranslateLanguages"), "OK")}}},
        "/libretranslate/frontend/settings": {"get": {"summary": "LibreTranslate: settings for its web page",
                                                      "tags": ["LibreTranslate"],
                                                      "responses": {"200": _json(_ref("Object"), "OK")}}},
    }


def _google_schemas(settings: Settings) -> dict:
    limit = min(128, settings.max_texts)
    texts = {"oneOf": [{"type": "string", "maxLength": settings.max_text_chars},
                       {"type": "array", "items": {"type": "string", "maxLength": settings.max_text_chars},
                        "minItems": 1, "maxItems": limit}]}
    detection = {"type": "object", "required": ["language", "isReliable", "confidence"], "properties": {
        "language": {"type": "string"}, "isReliable": {"type": "boolean"}, "confidence": {"type": "number"}}}
    return {
        "GoogleTranslateRequest": {"type": "object", "required": ["q", "target"], "properties": {
            "q": texts, "target": {"type": "string"}, "source": {"type": ["string", "null"]},
            "format": {"type": ["string", "null"], "enum": ["html", "text", None]},
            "model": {"type": ["string", "null"]}, "cid": {"type": ["array", "null"]}}},
        "GoogleTranslateResponse": {"type": "object", "required": ["data"], "properties": {"data": {
            "type": "object", "required": ["translations"], "properties": {"translations": {
                "type": "array", "items": {"type": "object", "required": ["translatedText"], "properties": {
                    "translatedText": {"type": "string"}, "detectedSourceLanguage": {"type": "string"}}}}}}}},
        "GoogleDetectRequest": {"type": "object", "required": ["q"], "properties": {"q": texts}},
        "GoogleDetections": {"type": "object", "required": ["data"], "properties": {"data": {
            "type": "object", "required": ["detections"], "properties": {"detections": {
                "type": "array", "items": {"type": "array", "items": detection}}}}}},
        "GoogleLanguages": {"type": "object", "required": ["data"], "properties": {"data": {
            "type": "object", "required": ["languages"], "properties": {"languages": {"type": "array", "items": {
                "type": "object", "required": ["language"],
                "properties": {"language": {"type": "string"}, "name": {"type": "string"}}}}}}}},
        "GoogleError": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "message", "status"],
            "properties": {"code": {"type": "integer"}, "message": {"type": "string"}, "status": {"type": "string"},
                           "errors": {"type": "array"}}}}},
    }


def _google_paths() -> dict:
    errors = {str(status): _json(_ref("GoogleError"), description) for status, description in (
        (400, "Bad request"), (403, "Missing or unknown key"), (408, "The request head did not arrive in time"),
        (429, "Too many requests"), (503, "Unavailable; retry after Retry-After"), (504, "Timed out"))}
    security = [{"googleKey": []}, {"googleHeader": []}, {"bearer": []}]

    def operation(summary: str, response: str, body: str | None = None) -> dict:
        op = {"summary": summary, "security": security, "tags": ["Google Cloud Translation v2"],
              "responses": {"200": _json(_ref(response), "OK"), **errors}}
        if body:
            op["requestBody"] = {"required": True, "content": {
                _JSON: {"schema": _ref(body)}, "application/x-www-form-urlencoded": {"schema": _ref(body)}}}
        return op

    query = [{"name": "q", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
             {"name": "target", "in": "query", "schema": {"type": "string"}},
             {"name": "source", "in": "query", "schema": {"type": "string"}},
             {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["html", "text"]}}]
    return {
        "/language/translate/v2": {
            "post": operation("Google v2: translate", "GoogleTranslateResponse", "GoogleTranslateRequest"),
            "get": {**operation("Google v2: translate, parameters in the query", "GoogleTranslateResponse"),
                    "parameters": query},
        },
        "/language/translate/v2/detect": {
            "post": operation("Google v2: identify languages", "GoogleDetections", "GoogleDetectRequest")},
        "/language/translate/v2/languages": {
            "parameters": [{"name": "target", "in": "query", "schema": {"type": "string"},
                            "description": "any value: include names (in English)"}],
            "get": operation("Google v2: languages", "GoogleLanguages"),
            "post": operation("Google v2: languages", "GoogleLanguages")},
    }


class OpenAPIResource:
    def __init__(self, spec: dict):
        self.spec = spec

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self.spec
