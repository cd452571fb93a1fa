"""One translation, as a worker runs it: segment, look up the cache, tokenize, ask the engine, reassemble."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from nllb import metrics
from nllb.config import Settings
from nllb.modeldir import ModelDirectory
from nllb.translation.cache import TranslationCache
from nllb.translation.detection import Candidate, LanguageDetector
from nllb.translation.errors import ClientGone, DeadlineExceeded, DetectionUnavailable, LanguageNotDetected
from nllb.translation.markup import MarkupDocument
from nllb.translation.request import Detection, SegmentJob, Translation, TranslationRequest
from nllb.translation.segmentation import segment
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


class SegmentTranslator(Protocol):
    """What the service needs of an engine (nllb.ipc.client.EngineClient in a worker)."""

    def translate(self, job: SegmentJob) -> list[np.ndarray]:
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
        if request.markup is not None:
            return self._translate_documents(request)
        detections = None if request.source_lang else self.identify(request.texts, request.target_lang)
        texts, segments, cached = self._run(request.texts, _languages(request, detections), request)
        return Translation(texts, segments, cached, request.characters, detections)

    def _translate_documents(self, request: TranslationRequest) -> Translation:
        """HTML or XML: each document's flows of text translated together, then put back among its tags."""
        documents = [MarkupDocument(text, request.markup) for text in request.texts]
        detections = (None if request.source_lang else
                      self.identify([" ".join(document.texts) for document in documents], request.target_lang))
        per_document = _languages(request, detections)
        texts = [text for document in documents for text in document.texts]
        languages = [language for document, language in zip(documents, per_document) for _ in document.texts]
        translated, segments, cached = self._run(texts, languages, request)
        rendered, start = [], 0
        for document in documents:
            rendered.append(document.render(translated[start:start + len(document.texts)]))
            start += len(document.texts)
        return Translation(rendered, segments, cached, request.characters, detections)

    def _run(self, texts: Sequence[str], languages: list[str | None],
             request: TranslationRequest) -> tuple[list[str], int, int]:
        """Each text translated from its language (None: returned as it came); with the segments sent and
        how many of them the cache answered."""
        segmented = []
        for text, language in zip(texts, languages):
            # Segmenting a long list takes a while: stop when nobody waits for it.
            if time.monotonic() >= request.deadline:
                raise DeadlineExceeded()
            if request.cancelled():
                raise ClientGone()
            segmented.append(segment(text, language) if language else None)
        # A sentence is translated from its text's language; the same sentence twice, once.
        units = [(s, lang) for text, lang in zip(segmented, languages) if text for s in text.sentences]
        if not units:
            return list(texts), 0, 0
        unique = list(dict.fromkeys(units))
        found = self._cached(unique, request)
        misses = [unit for unit in unique if unit not in found]
        if misses:
            fresh = self._translate(misses, request)
            found.update(zip(misses, fresh))
            self._store({unit: found[unit] for unit in misses}, request)
        joined = [text.join([found[(s, lang)] for s in text.sentences]) if text else original
                  for text, lang, original in zip(segmented, languages, texts)]
        hits = set(unique) - set(misses)
        return joined, len(units), sum(1 for u in units if u in hits)

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

    def _cached(self, units: list[tuple[str, str]], request: TranslationRequest) -> dict[tuple[str, str], str]:
        if not self.cache:
            return {}
        keys = self._keys(units, request)
        found = {unit: value for unit, value in zip(units, self.cache.get_many(keys)) if value is not None}
        metrics.cache_hits.inc(len(found))
        metrics.cache_misses.inc(len(units) - len(found))
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
        encoded: list[list[np.ndarray]] = [None] * len(units)
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
