"""Google Cloud Translation v2 (basic) at `/language/translate/v2`: translate, `/detect`, `/languages`.

`google-cloud-translate`'s v2 Client works unmodified with `client_options={"api_endpoint": URL}`; the
key, one of our tokens, comes as `?key=` or `x-goog-api-key`. Parameters from the query string, a JSON
or a form body. `format` is html unless it says text, as with Google: the text of each document is
translated and every tag kept (nllb.translation.markup). `model` and `cid` are accepted and change
nothing. Language names in `/languages` are English whatever `target` asks for. Confidences are
fractions from 0 to 1; `isReliable` says whether one reached DETECTION_THRESHOLD.
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

PREFIX = "/language/translate/v2"
_MAX_SEGMENTS = 128  # Google's own limit of texts per request


class GoogleResource(KeyedResource):
    def key(self, req: falcon.Request) -> object:
        """`?key=` or the x-goog-api-key header."""
        return req.context.params.one("key") or req.get_header("x-goog-api-key")

    def _texts(self, params: Params) -> list[str]:
        texts = params.get("q")
        if not texts or texts == [""]:
            raise APIError(400, "validation_error", "Required Text", field="q")
        if len(texts) > min(_MAX_SEGMENTS, self.settings.max_texts):
            raise APIError(400, "too_many_texts", "Too many text segments", field="q")
        for text in texts:
            if not isinstance(text, str):
                raise APIError(400, "validation_error", "Invalid value for q: a string or a list of strings.",
                               field="q")
            if len(text) > self.settings.max_text_chars:
                raise APIError(400, "text_too_long", "Text too long", field="q")
        return texts


class TranslateResource(GoogleResource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        request = receive(self.gate, req, resp, lambda: self._request(req, req.context.params))
        result = translate(self.service, self.gate, req, resp, request, as_list=True)
        translations = [{"translatedText": text} for text in result.texts]
        if result.detections is not None:
            for translation, detection in zip(translations, result.detections):
                translation["detectedSourceLanguage"] = self.tags.tag(detection.language) or "und"
        resp.media = {"data": {"translations": translations}}

    on_get = on_post  # Google answers GET with the parameters in the query string too

    def _request(self, req: falcon.Request, params: Params) -> TranslationRequest:
        texts = self._texts(params)
        target = params.one("target")
        if not isinstance(target, str) or not target:
            raise APIError(400, "validation_error", "Required Target", field="target")
        source = params.one("source")
        if (params.one("format") or "html") not in ("html", "text"):
            raise APIError(400, "validation_error", "Invalid Value for format: html or text.", field="format")
        return TranslationRequest(
            texts=texts, source_lang=self._language(source, "source") if source else None,
            target_lang=self._language(target, "target"), quality=self.settings.default_quality,
            deadline=deadline(req, self.settings), request_id=req.context.request_id,
            markup=MarkupOptions("html") if (params.one("format") or "html") == "html" else None,
        )

    def _language(self, code: object, field: str) -> str:
        flores = self.tags.flores(code) if isinstance(code, str) else None
        if flores is None:
            raise APIError(400, "unsupported_language", f"Bad language pair: {field} {str(code)[:32]!r}", field=field)
        return flores


class DetectResource(GoogleResource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        texts = admit(self.gate, req, resp, lambda: self._texts(req.context.params),
                      lambda parsed: sum(len(text) for text in parsed))
        found = candidates(self.service, texts, top=1)
        threshold = self.settings.detection_threshold
        detections = []
        for ranked in found:
            best = ranked[0] if ranked else None
            detections.append([{
                "language": self.tags.tag(best.code) if best else "und",
                "isReliable": bool(best and best.confidence >= threshold),
                "confidence": best.confidence if best else 0.0,
            }])
        resp.media = {"data": {"detections": detections}}


class LanguagesResource(GoogleResource):
    def __init__(self, settings: Settings, languages: Languages, tags: LanguageTags):
        self.settings = settings
        self.codes = [{"language": tag} for language in languages if (tag := tags.tag(language.code))]
        self.named = [{"language": tag, "name": language.name}
                      for language in languages if (tag := tags.tag(language.code))]

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        named = bool(req.context.params.one("target"))
        resp.media = {"data": {"languages": self.named if named else self.codes}}

    on_post = on_get
