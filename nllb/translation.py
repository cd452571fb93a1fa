"""One translation, as a worker runs it: segment, tokenize, ask the engine, reassemble."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from nllb import metrics
from nllb.cache import TranslationCache
from nllb.config import Settings
from nllb.ipc.client import ClientGone, DeadlineExceeded, EngineClient
from nllb.modeldir import ModelDirectory
from nllb.segmentation import segment
from nllb.tokenizer import Tokenizer

QUALITY_BEAMS = {"fast": 1, "balanced": 4, "best": 8}

# Output length limits are powers of two, so that beam-search segments of
# similar length share a CTranslate2 call (a call has one length limit).
_SHORTEST_LIMIT = 32


def decoding_limit(source_tokens: int, cap: int) -> int:
    """Room for a translation twice the source's length: no hundreds of hallucinated tokens."""
    wanted = 2 * source_tokens + 10
    return min(cap, max(_SHORTEST_LIMIT, 1 << (wanted - 1).bit_length()))


@dataclasses.dataclass(frozen=True)
class Translated:
    texts: list[str]
    segments: int  # what was sent to the engine, after sentence splitting and cutting
    cached_segments: int = 0


class TranslationService:
    def __init__(self, settings: Settings, model: ModelDirectory, engine: EngineClient,
                 cache: TranslationCache | None = None):
        self.settings = settings
        self.model = model
        self.engine = engine
        self.cache = cache
        self.tokenizer = Tokenizer(model, settings.max_input_tokens)

    def translate(
        self,
        texts: list[str],
        source_lang: str,
        target_lang: str,
        quality: str,
        deadline: float,
        request_id: str,
        disconnected: Callable[[], bool] = lambda: False,
    ) -> Translated:
        segmented = []
        for text in texts:
            # Segmenting a long list takes a while: stop when nobody waits for it.
            if time.monotonic() >= deadline:
                raise DeadlineExceeded()
            if disconnected():
                raise ClientGone()
            segmented.append(segment(text, source_lang))
        sentences = [s for text in segmented for s in text.sentences]
        if not sentences:
            return Translated(list(texts), 0)
        beam_size = QUALITY_BEAMS[quality]
        # A sentence repeated within a request is translated once.
        unique = list(dict.fromkeys(sentences))
        keys = self.cache.keys(unique, source_lang, target_lang, beam_size) if self.cache else []
        found = {s: v for s, v in zip(unique, self.cache.get_many(keys)) if v is not None} if self.cache else {}
        misses = [s for s in unique if s not in found]
        if misses:
            fresh = self._translate(misses, source_lang, target_lang, beam_size, deadline, request_id, disconnected)
            if self.cache:
                key_of = dict(zip(unique, keys))
                self.cache.set_many({key_of[s]: t for s, t in zip(misses, fresh)})
                metrics.cache_misses.inc(len(misses))
            found.update(zip(misses, fresh))
        if self.cache:
            metrics.cache_hits.inc(len(unique) - len(misses))
        joined = [text.join([found[s] for s in text.sentences]) for text in segmented]
        hits = set(unique) - set(misses)
        return Translated(joined, len(sentences), sum(1 for s in sentences if s in hits))

    def _translate(self, sentences, source_lang, target_lang, beam_size, deadline, request_id, disconnected) -> list[str]:
        """Sentences through the engine: tokenized, cut where too long, decoded and joined again."""
        encoded = self.tokenizer.encode(sentences, source_lang)
        sources = [source for chunks in encoded for source in chunks]
        cap = self.settings.max_decoding_length
        outputs = self.engine.translate(
            sources,
            [decoding_limit(len(s), cap) for s in sources],
            self.tokenizer.token_ids[target_lang],
            beam_size,
            deadline,
            request_id,
            disconnected,
        )
        decoded = iter(self.tokenizer.decode(outputs))
        translated = []
        for chunks in encoded:
            parts = [next(decoded) for _ in chunks]
            translated.append(parts[0] + "".join(j + p for j, p in zip(self.tokenizer.joiners(chunks), parts[1:])))
        return translated
