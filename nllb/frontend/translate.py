"""POST /translate."""

from __future__ import annotations

import dataclasses
import math
import socket
import time

import falcon

from nllb import metrics
from nllb.access.gate import AccessGate
from nllb.config import Settings
from nllb.frontend.auth import charge, receive
from nllb.frontend.errors import APIError
from nllb.frontend.validation import RequestSchema, TranslateBody, parse_translate, read_json
from nllb.ipc import EngineState
from nllb.translation import (
    CircuitOpen,
    ClientGone,
    DeadlineExceeded,
    DetectionUnavailable,
    EngineUnavailable,
    InvalidMarkup,
    LanguageNotDetected,
    Overloaded,
    Translation,
    TranslationError,
    TranslationRequest,
    Untranslatable,
)
from nllb.translation.detection import Candidate
from nllb.translation.markup import MarkupOptions
from nllb.translation.service import TranslationService

SYNTHETIC_WARNING = "synthetic model with random weights: translations are gibberish"
HANG_UP_CHECK_SECONDS = 0.01


@dataclasses.dataclass
class TranslationRecord:
    """What the request log and metrics say about one translation request."""

    body: TranslateBody
    characters: int
    result: Translation | None = None

    source_lang = property(lambda self: self.body.source_lang)
    target_lang = property(lambda self: self.body.target_lang)
    quality = property(lambda self: self.body.quality)

    @property
    def all_cached(self) -> bool:
        return self.result is not None and self.result.all_cached

    def log_fields(self, log_text: bool) -> dict:
        fields = {
            "source_lang": self.body.source_lang, "target_lang": self.body.target_lang,
            "quality": self.body.quality, "texts": len(self.body.texts), "characters": self.characters,
        }
        if self.result is not None:
            fields.update(segments=self.result.segments, cached_segments=self.result.cached_segments)
            if log_text:
                fields["translation"] = self.result.texts
        if log_text:
            fields["text"] = self.body.texts
        return fields


def translation_error(exc: TranslationError, timeout_seconds: float, as_list: bool = False) -> falcon.HTTPError:
    """What a client of /translate (or /detect) is told when its request was not translated."""
    retry = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))} if exc.retry_after is not None else None
    if isinstance(exc, LanguageNotDetected):
        field = f"text[{exc.index}]" if as_list else "text"
        guess = f" (at best {exc.best}, {exc.confidence:.0%} sure)" if exc.best else ""
        return APIError(422, "language_not_detected",
                        f"The language of `{field}` could not be identified{guess}; send source_lang.", field=field)
    if isinstance(exc, InvalidMarkup):
        return APIError(400, "invalid_markup", f"A text could not be read as markup: {exc}", field="text")
    if isinstance(exc, DetectionUnavailable):
        return APIError(422, "detection_unavailable", f"No source_lang, and {exc}.", field="source_lang")
    if isinstance(exc, EngineUnavailable):
        return APIError(503, "engine_unavailable", f"The translation engine is not available: {exc}", headers=retry)
    if isinstance(exc, DeadlineExceeded):
        return APIError(504, "timeout", f"No translation within {timeout_seconds:g} s.")
    if isinstance(exc, Overloaded):
        return APIError(503, "overloaded", "Too many translations are waiting; retry shortly.", headers=retry)
    if isinstance(exc, CircuitOpen):
        return APIError(503, "circuit_open", "The device is failing; translations are paused.", headers=retry)
    if isinstance(exc, Untranslatable):
        return APIError(422, "untranslatable",
                        "This input failed to translate on its own; other requests were not affected.")
    if isinstance(exc, ClientGone):
        return falcon.HTTPError("499 Client Closed Request", title="client_closed")
    return APIError(503, "device_error", "The device failed to translate this request.", headers=retry)


def deadline(req: falcon.Request, settings: Settings) -> float:
    """From when the request arrived, not from when a thread got to it (nllb.frontend.worker)."""
    return (req.env.get("nllb.arrived") or time.monotonic()) + settings.request_timeout_seconds


def translate(service: TranslationService, gate: AccessGate, req: falcon.Request, resp: falcon.Response,
              request: TranslationRequest, as_list: bool = False) -> Translation:
    """The translation, charged to the caller's budgets and counted as its usage; a TranslationError as an
    HTTP error.

    The charge and the cache lookup are one Redis round trip: the request is
    prepared (identified, segmented) first, so that its cache keys are known
    when it is charged. A request the domain refuses while preparing costs one
    request, like one refused by validation. A caller this worker refused a
    moment ago is charged before anything is prepared, so that a client over
    its budget cannot make the worker segment text it will not translate.
    """
    charged_first = gate.refused_lately(req.context.principal)
    if charged_first:
        charge(gate, req, resp, request.characters)
    try:
        try:
            prepared = service.prepare(request)
        except TranslationError:
            if not charged_first:
                charge(gate, req, resp, 0)
            raise
        looked_up = None if charged_first else charge(gate, req, resp, request.characters, prepared.cache_keys)
        result = service.complete(prepared, looked_up)
    except TranslationError as exc:
        raise translation_error(exc, service.settings.request_timeout_seconds, as_list) from None
    gate.record_usage(req.context.principal, result.billed_characters)
    return result


def candidates(service: TranslationService, texts: list[str], top: int) -> list[list[Candidate]]:
    """The likeliest languages of each text; no identification model as its HTTP error."""
    try:
        return service.candidates(texts, top=top)
    except TranslationError as exc:
        raise translation_error(exc, service.settings.request_timeout_seconds) from None


class TranslateResource:
    auth = "token"

    def __init__(self, settings: Settings, service: TranslationService, state: EngineState, gate: AccessGate,
                 schema: RequestSchema):
        self.settings = settings
        self.schema = schema
        self.gate = gate
        self.service = service
        self.state = state
        self.languages = service.model.languages
        self.warning = SYNTHETIC_WARNING if service.model.synthetic else None

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body, request = receive(self.gate, req, resp, lambda: self._request(req))
        result = req.context.translation.result = translate(self.service, self.gate, req, resp, request, body.as_list)
        metrics.segments_total.inc(result.segments)
        metrics.characters_total.inc(result.billed_characters)

        def each(values: list):
            return values if body.as_list else values[0]

        media = {
            "translation": each(result.texts),
            "source_lang": body.source_lang or "auto",
            "target_lang": body.target_lang,
            "device": self.state.device,
            "cached": result.all_cached,
            "cached_segments": result.cached_segments,
            "quality": body.quality,
        }
        if result.detections is not None:
            media.update(
                detected_source_lang=each([d.language for d in result.detections]),
                detection_confidence=each([d.confidence for d in result.detections]),
                unchanged=each([d.unchanged for d in result.detections]),
            )
        if self.warning:
            media["warning"] = self.warning
        resp.media = media

    def _request(self, req: falcon.Request) -> tuple[TranslateBody, TranslationRequest]:
        body = parse_translate(read_json(req, self.settings.max_body_bytes), self.schema, self.settings,
                               self.languages)
        request = TranslationRequest(
            texts=body.texts, source_lang=body.source_lang, target_lang=body.target_lang, quality=body.quality,
            deadline=deadline(req, self.settings), request_id=req.context.request_id,
            cancelled=_hang_up_detector(req),
            markup=MarkupOptions(body.format, translate_attributes=body.translate_attributes)
            if body.format != "text" else None,
        )
        # Before the budgets are charged, so that a 429 is logged with what was asked.
        req.context.translation = TranslationRecord(body, request.characters)
        return body, request


def _hang_up_detector(req: falcon.Request):
    """True once the client has closed its connection (read side: EOF with nothing pipelined).

    Asking is a system call, and the service asks before each text of a
    list: 64 questions cost 130–250 µs of CPU on the 2-core VM, where the
    whole 64-text request, cached, takes ~0.8 ms (docs/PERFORMANCE.md,
    session 30). The socket is asked at most every HANG_UP_CHECK_SECONDS;
    in between, the last answer stands.
    """
    sock = req.env.get("gunicorn.socket")
    if sock is None:
        return lambda: False
    gone, next_ask = False, 0.0

    def hung_up() -> bool:
        nonlocal gone, next_ask
        now = time.monotonic()
        if gone or now < next_ask:
            return gone
        next_ask = now + HANG_UP_CHECK_SECONDS
        try:
            gone = sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            pass
        except OSError:
            gone = True
        return gone

    return hung_up
