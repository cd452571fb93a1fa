"""DeepL API v2: `POST /v2/translate`, `GET|POST /v2/languages`, `GET /v2/usage`.

Pointed at this server, the official SDKs work unmodified: the key is one of our tokens, sent as
`Authorization: DeepL-Auth-Key KEY`. Codes are DeepL's (`DE`, `EN-US`, `PT-BR`, `ZH-HANT`), mapped to
FLORES-200 through nllb.languages.LanguageTags. Accepted and how they act here:

- `split_sentences`: every value is accepted; NLLB translates sentence by sentence, so texts are
  always split (line breaks and spacing kept), as with "1".
- `preserve_formatting`: accepted; spacing, line breaks and punctuation are always kept as sent.
- `formality`: "default", "prefer_less" and "prefer_more" are accepted and change nothing; "less" and
  "more" are refused, as DeepL refuses them for a language without formality (none has it here).
- `context`: accepted, neither translated nor billed, and not used.
- `model_type`: "latency_optimized" translates with quality fast, "quality_optimized" with best,
  anything else with the server's default quality.
- `tag_handling` "html" or "xml": each text is a document whose text is translated and whose tags,
  attributes and entities are kept (nllb.translation.markup), with `ignore_tags` left untranslated,
  `splitting_tags` and `non_splitting_tags` deciding what splits a sentence; `outline_detection` is
  accepted (tags decide the outline either way). Attribute values are not translated, as with DeepL.
- glossaries, style rules, translation memories and custom instructions are refused.
"""

from __future__ import annotations

import math

import falcon

from nllb.access.gate import AccessGate
from nllb.config import Settings
from nllb.frontend.auth import receive
from nllb.frontend.compat.params import Params, read_params
from nllb.frontend.errors import APIError
from nllb.frontend.translate import deadline, translate
from nllb.languages import Languages, LanguageTags
from nllb.translation import TranslationRequest
from nllb.translation.markup import MarkupOptions
from nllb.translation.service import TranslationService

# Regional variants DeepL offers as targets; NLLB has one variety of each language.
_TARGET_VARIANTS = {"en": ["EN-GB", "EN-US"], "pt": ["PT-BR", "PT-PT"], "es": ["ES", "ES-419"], "zh": ["ZH", "ZH-HANS"]}
_UNSUPPORTED = ("glossary_id", "glossary_ids", "style_id", "translation_memory_id", "custom_instructions")
_UNLIMITED = 10**12  # DeepL's own character_limit for an account without one


def deepl_code(tag: str) -> str:
    return tag.upper()


class DeepLResource:
    auth = "token"

    @staticmethod
    def authorization(req: falcon.Request) -> str | None:
        """`DeepL-Auth-Key KEY` as the bearer token it is."""
        header = req.get_header("Authorization")
        if header and header.lower().startswith("deepl-auth-key "):
            return "Bearer " + header.split(" ", 1)[1].strip()
        return header


class DeepLTranslateResource(DeepLResource):
    def __init__(self, settings: Settings, service: TranslationService, tags: LanguageTags, gate: AccessGate):
        self.settings = settings
        self.service = service
        self.tags = tags
        self.gate = gate

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        request = receive(self.gate, req, resp, lambda: self._request(req))
        result = translate(self.service, self.gate, req, resp, request)
        detected = ([self.tags.tag(d.language) or d.language for d in result.detections]
                    if result.detections else [self.tags.tag(request.source_lang)] * len(request.texts))
        resp.media = {"translations": [
            {"detected_source_language": deepl_code(tag or "").split("-")[0], "text": text,
             "billed_characters": len(source)}
            for tag, text, source in zip(detected, result.texts, request.texts)
        ]}

    def _request(self, req: falcon.Request) -> TranslationRequest:
        params = read_params(req, self.settings.max_body_bytes)
        texts = params.get("text")
        if not texts:
            raise APIError(400, "validation_error", "Parameter 'text' not specified.", field="text")
        if len(texts) > self.settings.max_texts:
            raise APIError(413, "too_many_texts", f"At most {self.settings.max_texts} texts per request.",
                           field="text", limit=self.settings.max_texts)
        for text in texts:
            if not isinstance(text, str):
                raise APIError(400, "validation_error", "Every 'text' must be a string.", field="text")
            if len(text) > self.settings.max_text_chars:
                raise APIError(413, "text_too_long", f"A text is over {self.settings.max_text_chars} characters.",
                               field="text", limit=self.settings.max_text_chars)
        for name in _UNSUPPORTED:
            if params.get(name):
                raise APIError(400, "unsupported_parameter", f"'{name}' is not supported by this server.", field=name)
        if params.one("formality", "default") in ("less", "more"):
            raise APIError(400, "unsupported_parameter", "'formality' is not supported for given 'target_lang'.",
                           field="formality")
        markup = self._markup(params)
        target = self._language(params.one("target_lang"), "target_lang")
        source = params.one("source_lang")
        return TranslationRequest(
            texts=texts, source_lang=self._language(source, "source_lang") if source else None, target_lang=target,
            quality=_QUALITY_BY_MODEL_TYPE.get(params.one("model_type"), self.settings.default_quality),
            deadline=deadline(req, self.settings), request_id=req.context.request_id,
            markup=markup,
        )

    @staticmethod
    def _markup(params: Params) -> MarkupOptions | None:
        kind = params.one("tag_handling")
        if kind is None or kind == "":
            return None
        if kind not in ("html", "xml"):
            raise APIError(400, "validation_error", "Value for 'tag_handling' not supported.", field="tag_handling")

        def tags(name: str) -> frozenset[str]:
            return frozenset(tag.strip().lower() for value in params.get(name) if isinstance(value, str)
                             for tag in value.split(",") if tag.strip())

        return MarkupOptions(kind, ignore_tags=tags("ignore_tags"), splitting_tags=tags("splitting_tags"),
                             non_splitting_tags=tags("non_splitting_tags"))

    def _language(self, code: object, field: str) -> str:
        if not isinstance(code, str) or not code:
            raise APIError(400, "validation_error", f"Parameter '{field}' not specified.", field=field)
        flores = self.tags.flores(code)
        if flores is None:
            raise APIError(400, "unsupported_language", f"Value for '{field}' not supported: {code[:32]!r}.",
                           field=field)
        return flores


_QUALITY_BY_MODEL_TYPE = {"latency_optimized": "fast", "quality_optimized": "best"}


class DeepLLanguagesResource(DeepLResource):
    """The languages the model knows, in DeepL's codes; `type` from the query or, as the SDKs send it, a form
    body on a GET."""

    def __init__(self, settings: Settings, languages: Languages, tags: LanguageTags):
        self.settings = settings
        self.source = []
        self.target = []
        for language in languages:
            tag = tags.tag(language.code)
            if tag is None:
                continue
            self.source.append({"language": deepl_code(tag), "name": language.name})
            variants = _TARGET_VARIANTS.get(tag, [deepl_code(tag)])
            self.target += [{"language": code, "name": language.name, "supports_formality": False}
                            for code in variants]

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        kind = read_params(req, 4096).one("type", "source")
        if kind not in ("source", "target"):
            raise APIError(400, "validation_error", "Parameter 'type' must be 'source' or 'target'.", field="type")
        resp.media = self.source if kind == "source" else self.target

    on_post = on_get


class DeepLUsageResource(DeepLResource):
    """This token's character budget, as DeepL reports an account's."""

    def __init__(self, gate: AccessGate):
        self.gate = gate

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        decision = self.gate.peek(req.context.principal)
        if decision is None or not self.gate.settings.rate_limit_enabled:
            resp.media = {"character_count": 0, "character_limit": _UNLIMITED}
            return
        characters = decision.outcomes[1]
        resp.media = {"character_count": characters.budget.limit - characters.remaining,
                      "character_limit": characters.budget.limit,
                      "reset_seconds": math.ceil(characters.reset_seconds)}

    on_post = on_get
