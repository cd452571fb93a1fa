"""One translation, as a worker runs it: segment, look up the cache, tokenize, ask the engine, reassemble."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Protocol

from nllb import metrics
from nllb.config import Settings
from nllb.modeldir import ModelDirectory
from nllb.translation.cache import TranslationCache
from nllb.translation.detection import Candidate, LanguageDetector
from nllb.translation.errors import ClientGone, DeadlineExceeded, DetectionUnavailable, LanguageNotDetected
from nllb.translation.markup import MarkupDocument
from nllb.translation.request import Detection, SegmentJob, Translation, TranslationRequest
from nllb.translation.segmentation import SegmentedText, segment
from nllb.translation.tokenizer import Tokenizer

# Output length limits are powers of two, so that beam-search segments of
# similar length share a CTranslate2 call (a call has one length limit).
_SHORTEST_LIMIT = 32


def decoding_limit(source_tokens: int, cap: int) -> int:
    """Room for a translation twice the source's length: no hundreds of hallucinated tokens."""
    wanted = 2 * source_tokens + 10
    return min(cap, max(_SHORTEST_LIMIT, 1 << (wanted - 1).bit_length()))


def _languages(request: TranslationRequest, detections: list[Detection] | None) -> list[str | None]:
    """Each text's source language; None: returned as it came (already in the target language)."""
    if detections is None:
        return [request.source_lang] * len(request.texts)
    return [None if detection.unchanged else detection.language for detection in detections]


@dataclasses.dataclass
class PreparedTranslation:
    """A request ready for the cache and the engine: its texts (a markup document's flows) segmented."""

    request: TranslationRequest
    texts: list[str]
    languages: list[str | None]  # each text's source language; None: returned as it came
    segmented: list[SegmentedText | None]
    sentences: list[tuple[str, str]]  # every (sentence, language) pair, in order, repeats included
    units: list[tuple[str, str]]  # the distinct ones, to translate
    cache_keys: list[str]  # one per unit; none when there is no cache to ask
    detections: list[Detection] | None
    documents: list[MarkupDocument] | None


class SegmentTranslator(Protocol):
    """What the service needs of an engine (nllb.ipc.client.EngineClient in a worker)."""

    def translate(self, job: SegmentJob) -> list[list[int]]:
        """The output token ids of every segment, in order; raises a TranslationError otherwise."""


class TranslationService:
    def __init__(self, settings: Settings, model: ModelDirectory, engine: SegmentTranslator,
                 cache: TranslationCache | None = None, detector: LanguageDetector | None = None):
        self.settings = settings
        self.model = model
        self.engine = engine
        self.cache = cache
        self.detector = detector
        self.tokenizer = Tokenizer(model, settings.max_input_tokens)

    def translate(self, request: TranslationRequest) -> Translation:
        return self.complete(self.prepare(request))

    def prepare(self, request: TranslationRequest) -> PreparedTranslation:
        """Everything before the cache and the engine: identification, markup parsing, segmentation."""
        documents = None
        if request.markup is not None:
            # HTML or XML: each document's flows of text are translated together, then put back among its tags.
            documents = [MarkupDocument(text, request.markup) for text in request.texts]
            detections = (None if request.source_lang else
                          self.identify([" ".join(document.texts) for document in documents], request.target_lang))
            per_document = _languages(request, detections)
            texts = [text for document in documents for text in document.texts]
            languages = [language for document, language in zip(documents, per_document) for _ in document.texts]
        else:
            detections = None if request.source_lang else self.identify(request.texts, request.target_lang)
            texts, languages = list(request.texts), _languages(request, detections)
        segmented = []
        for text, language in zip(texts, languages):
            # Segmenting a long list takes a while: stop when nobody waits for it.
            if time.monotonic() >= request.deadline:
                raise DeadlineExceeded()
            if request.cancelled():
                raise ClientGone()
            segmented.append(segment(text, language) if language else None)
        # A sentence is translated from its text's language; the same sentence twice, once.
        sentences = [(s, language) for text, language in zip(segmented, languages) if text for s in text.sentences]
        units = list(dict.fromkeys(sentences))
        keys = self._keys(units, request) if self.cache and self.cache.available else []
        return PreparedTranslation(request, texts, languages, segmented, sentences, units, keys, detections,
                                   documents)

    def complete(self, prepared: PreparedTranslation, looked_up: list[bytes | None] | None = None) -> Translation:
        """The prepared request translated; `looked_up`: its cache entries when already read, else the
        service reads them."""
        request = prepared.request
        found = self._cached(prepared, looked_up)
        misses = [unit for unit in prepared.units if unit not in found]
        if misses:
            fresh = self._translate(misses, request)
            found.update(zip(misses, fresh))
            self._store({unit: found[unit] for unit in misses}, request)
        texts = [text.join([found[(s, language)] for s in text.sentences]) if text else original
                 for text, language, original in zip(prepared.segmented, prepared.languages, prepared.texts)]
        if prepared.documents is not None:
            rendered, start = [], 0
            for document in prepared.documents:
                rendered.append(document.render(texts[start:start + len(document.texts)]))
                start += len(document.texts)
            texts = rendered
        hits = set(prepared.units) - set(misses)
        return Translation(texts, len(prepared.sentences), sum(1 for unit in prepared.sentences if unit in hits),
                           request.characters, prepared.detections)

    def candidates(self, texts: Sequence[str], top: int) -> list[list[Candidate]]:
        """The `top` likeliest languages of each text; DetectionUnavailable without an identification model."""
        if self.detector is None:
            raise DetectionUnavailable()
        return self.detector.detect(list(texts), top=top)

    def identify(self, texts: Sequence[str], target_lang: str) -> list[Detection]:
        """Each text's language, or LanguageNotDetected for the first one below the confidence threshold."""
        detections = []
        for index, (text, candidates) in enumerate(zip(texts, self.candidates(texts, top=1))):
            if not text.strip():
                detections.append(Detection(None, 0.0, unchanged=True))
                continue
            best = candidates[0] if candidates else None
            if best is None or best.confidence < self.settings.detection_threshold:
                metrics.detection_refusals.inc()
                raise LanguageNotDetected(index, best.code if best else None, best.confidence if best else 0.0)
            metrics.detections.labels(best.code).inc()
            detections.append(Detection(best.code, best.confidence, unchanged=best.code == target_lang))
        return detections

    def _cached(self, prepared: PreparedTranslation,
                looked_up: list[bytes | None] | None) -> dict[tuple[str, str], str]:
        if not prepared.cache_keys:
            return {}
        values = self.cache.get_many(prepared.cache_keys) if looked_up is None else self.cache.decode(looked_up)
        found = {unit: value for unit, value in zip(prepared.units, values) if value is not None}
        metrics.cache_hits.inc(len(found))
        metrics.cache_misses.inc(len(prepared.units) - len(found))
        return found

    def _store(self, translated: dict[tuple[str, str], str], request: TranslationRequest) -> None:
        if self.cache:
            units = list(translated)
            self.cache.set_many(dict(zip(self._keys(units, request), translated.values())))

    def _keys(self, units: list[tuple[str, str]], request: TranslationRequest) -> list[str]:
        return [self.cache.key(sentence, language, request.target_lang, request.beam_size)
                for sentence, language in units]

    def _translate(self, units: list[tuple[str, str]], request: TranslationRequest) -> list[str]:
        """Sentences through the engine, each from its own language, in one job: tokenized, cut where too
        long, decoded and joined again."""
        encoded: list[list[list[int]]] = [None] * len(units)
        by_language: dict[str, list[int]] = {}
        for index, (_, language) in enumerate(units):
            by_language.setdefault(language, []).append(index)
        for language, indexes in by_language.items():
            for index, chunks in zip(indexes, self.tokenizer.encode([units[i][0] for i in indexes], language)):
                encoded[index] = chunks
        sources = [source for chunks in encoded for source in chunks]
        cap = self.settings.max_decoding_length
        outputs = self.engine.translate(SegmentJob(
            sources=sources,
            limits=[decoding_limit(len(s), cap) for s in sources],
            target_token=self.tokenizer.token_ids[request.target_lang],
            beam_size=request.beam_size,
            deadline=request.deadline,
            request_id=request.request_id,
            cancelled=request.cancelled,
        ))
        decoded = iter(self.tokenizer.decode(outputs))
        translated = []
        for chunks in encoded:
            parts = [next(decoded) for _ in chunks]
            translated.append(parts[0] + "".join(j + p for j, p in zip(self.tokenizer.joiners(chunks), parts[1:])))
        return translated
