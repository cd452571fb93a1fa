"""LibreTranslate under `/libretranslate/`: `POST translate`, `POST detect`, `GET languages`,
`GET frontend/settings` — the shapes and field types of LibreTranslate's own server (its app.py), so
that clients given `http://host/libretranslate/` as their base URL work unmodified.

Parameters come from a JSON body, or from the form and the query string; `api_key` is one of our
tokens. Confidences are percentages as LibreTranslate sends them (a float from 0 to 100). Differences,
by design: each text of a list is identified on its own (LibreTranslate reports one language for the
whole list); a text whose language cannot be identified is refused with 400 naming it, where
LibreTranslate would return it untranslated as English; `alternatives` are answered with empty lists
(one translation per text); `format=html` translates the text of each document and keeps every tag
(nllb.translation.markup).
"""

from __future__ import annotations

import falcon

from nllb.config import Settings
from nllb.frontend.auth import admit, receive
from nllb.frontend.compat.params import KeyedResource, Params
from nllb.frontend.errors import APIError
from nllb.frontend.translate import candidates, deadline, translate
from nllb.languages import Languages, LanguageTags
from nllb.translation import TranslationRequest
from nllb.translation.markup import MarkupOptions

PREFIX = "/libretranslate"


class LibreTranslateResource(KeyedResource):
    def key(self, req: falcon.Request) -> object:
        """`api_key` from the body or the query string."""
        return req.context.params.one("api_key")


def _texts(params: Params, settings: Settings) -> tuple[list[str], bool]:
    """`q` as a list of texts, and whether it came as one (only a JSON body can send a list)."""
    batch = "q" in params.arrays
    texts = params.get("q") if batch else [params.one("q")]
    if not texts or texts == [None] or texts == [""]:
        raise APIError(400, "validation_error", "Invalid request: missing q parameter", field="q")
    if len(texts) > settings.max_texts:
        raise APIError(400, "too_many_texts",
                       f"Invalid request: request ({len(texts)}) exceeds text limit ({settings.max_texts})", field="q")
    for text in texts:
        if not isinstance(text, str):
            raise APIError(400, "validation_error", "Invalid request: q must be a string or a list of strings",
                           field="q")
        if len(text) > settings.max_text_chars:
            raise APIError(400, "text_too_long", f"Invalid request: request ({len(text)}) exceeds text limit "
                           f"({settings.max_text_chars})", field="q")
    return texts, batch


def _percent(confidence: float) -> float:
    return float(round(confidence * 100))


class TranslateResource(LibreTranslateResource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        request, batch, alternatives = receive(self.gate, req, resp,
                                               lambda: self._request(req, req.context.params))
        result = translate(self.service, self.gate, req, resp, request, batch)
        media: dict = {"translatedText": result.texts if batch else result.texts[0]}
        if result.detections is not None:
            detected = [{"confidence": _percent(d.confidence), "language": self.tags.tag(d.language) or "en"}
                        for d in result.detections]
            media["detectedLanguage"] = detected if batch else detected[0]
        if alternatives > 0:
            media["alternatives"] = [[] for _ in result.texts] if batch else []
        resp.media = media

    def _request(self, req: falcon.Request, params: Params) -> tuple[TranslationRequest, bool, int]:
        texts, batch = _texts(params, self.settings)
        source, target = params.one("source"), params.one("target")
        for name, value in (("source", source), ("target", target)):
            if not isinstance(value, str) or not value:
                raise APIError(400, "validation_error", f"Invalid request: missing {name} parameter", field=name)
        source_lang = None if source == "auto" else self._language(source, "source")
        target_lang = self._language(target, "target")
        text_format = params.one("format") or "text"
        if text_format not in ("text", "html"):
            raise APIError(400, "validation_error", f"{text_format} format is not supported", field="format")
        try:
            alternatives = max(0, int(params.one("alternatives", 0)))
        except (TypeError, ValueError):
            raise APIError(400, "validation_error", "Invalid request: alternatives parameter is not a number",
                           field="alternatives") from None
        request = TranslationRequest(
            texts=texts, source_lang=source_lang, target_lang=target_lang, quality=self.settings.default_quality,
            deadline=deadline(req, self.settings), request_id=req.context.request_id,
            markup=MarkupOptions("html") if text_format == "html" else None,
        )
        return request, batch, alternatives

    def _language(self, code: str, field: str) -> str:
        flores = self.tags.flores(code)
        if flores is None:
            raise APIError(400, "unsupported_language", f"{code[:32]} is not supported", field=field)
        return flores


class DetectResource(LibreTranslateResource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        texts, _ = admit(self.gate, req, resp, lambda: _texts(req.context.params, self.settings),
                         lambda parsed: sum(len(text) for text in parsed[0]))
        detected = candidates(self.service, texts, top=3)
        # As LibreTranslate does for a list: one ranking, each language's confidence averaged over the
        # texts it was found in, ordered by that confidence weighted by those texts' length.
        found: dict[str, list[tuple[float, int]]] = {}
        for text, ranked in zip(texts, detected):
            for candidate in ranked:
                found.setdefault(candidate.code, []).append((candidate.confidence, len(text)))
        total = sum(len(text) for text in texts) or 1
        ranked = sorted(found.items(), key=lambda item: -sum(c * n for c, n in item[1]) / total)
        resp.media = [{"confidence": _percent(sum(c for c, _ in seen) / len(seen)),
                       "language": self.tags.tag(code) or code} for code, seen in ranked]


class LanguagesResource:
    """Every language, each a target of every other: NLLB translates between any two."""

    def __init__(self, languages: Languages, tags: LanguageTags):
        codes = [(tags.tag(language.code), language.name) for language in languages if tags.tag(language.code)]
        every = [tag for tag, _ in codes]
        self.body = [{"code": tag, "name": name, "targets": every} for tag, name in codes]

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self.body


class SettingsResource:
    """What LibreTranslate's web page asks its server for first."""

    def __init__(self, settings: Settings, languages: Languages, tags: LanguageTags):
        english = next((language for language in languages if language.code == "eng_Latn"), next(iter(languages)))
        self.body = {
            "charLimit": settings.max_text_chars,
            "frontendTimeout": int(settings.request_timeout_seconds * 1000),
            "apiKeys": True,
            "keyRequired": settings.auth_enabled,
            "suggestions": False,
            "filesTranslation": False,
            "supportedFilesFormat": [],
            "language": {"source": {"code": "auto", "name": "Auto Detect"},
                         "target": {"code": tags.tag(english.code), "name": english.name}},
        }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self.body
