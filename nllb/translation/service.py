"""One translation, as a worker runs it: segment, look up the cache, tokenize, ask the engine, reassemble."""

from __future__ import annotations

import time
from typing import Protocol

import numpy as np

from nllb import metrics
from nllb.config import Settings
from nllb.modeldir import ModelDirectory
from nllb.translation.cache import TranslationCache
from nllb.translation.errors import ClientGone, DeadlineExceeded
from nllb.translation.request import SegmentJob, Translation, TranslationRequest
from nllb.translation.segmentation import segment
from nllb.translation.tokenizer import Tokenizer

# Output length limits are powers of two, so that beam-search segments of
# similar length share a CTranslate2 call (a call has one length limit).
_SHORTEST_LIMIT = 32


def decoding_limit(source_tokens: int, cap: int) -> int:
    """Room for a translation twice the source's length: no hundreds of hallucinated tokens."""
    wanted = 2 * source_tokens + 10
    return min(cap, max(_SHORTEST_LIMIT, 1 << (wanted - 1).bit_length()))


class SegmentTranslator(Protocol):
    """What the service needs of an engine (nllb.ipc.client.EngineClient in a worker)."""

    def translate(self, job: SegmentJob) -> list[np.ndarray]:
        """The output token ids of every segment, in order; raises a TranslationError otherwise."""


class TranslationService:
    def __init__(self, settings: Settings, model: ModelDirectory, engine: SegmentTranslator,
                 cache: TranslationCache | None = None):
        self.settings = settings
        self.model = model
        self.engine = engine
        self.cache = cache
        self.tokenizer = Tokenizer(model, settings.max_input_tokens)

    def translate(self, request: TranslationRequest) -> Translation:
        segmented = []
        for text in request.texts:
            # Segmenting a long list takes a while: stop when nobody waits for it.
            if time.monotonic() >= request.deadline:
                raise DeadlineExceeded()
            if request.cancelled():
                raise ClientGone()
            segmented.append(segment(text, request.source_lang))
        sentences = [s for text in segmented for s in text.sentences]
        if not sentences:
            return Translation(list(request.texts), 0, 0, request.characters)
        beam_size = request.beam_size
        # A sentence repeated within a request is translated once.
        unique = list(dict.fromkeys(sentences))
        cache = self.cache
        keys = cache.keys(unique, request.source_lang, request.target_lang, beam_size) if cache else []
        found = {s: v for s, v in zip(unique, cache.get_many(keys)) if v is not None} if cache else {}
        misses = [s for s in unique if s not in found]
        if misses:
            fresh = self._translate(misses, request)
            if cache:
                key_of = dict(zip(unique, keys))
                cache.set_many({key_of[s]: t for s, t in zip(misses, fresh)})
                metrics.cache_misses.inc(len(misses))
            found.update(zip(misses, fresh))
        if cache:
            metrics.cache_hits.inc(len(unique) - len(misses))
        joined = [text.join([found[s] for s in text.sentences]) for text in segmented]
        hits = set(unique) - set(misses)
        return Translation(joined, len(sentences), sum(1 for s in sentences if s in hits), request.characters)

    def _translate(self, sentences: list[str], request: TranslationRequest) -> list[str]:
        """Sentences through the engine: tokenized, cut where too long, decoded and joined again."""
        encoded = self.tokenizer.encode(sentences, request.source_lang)
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
