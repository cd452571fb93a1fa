"""One translation, as a worker runs it: segment, tokenize, ask the engine, reassemble."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

from nllb.config import Settings
from nllb.ipc.client import EngineClient
from nllb.modeldir import ModelDirectory
from nllb.segmentation import segment
from nllb.tokenizer import Tokenizer

QUALITY_BEAMS = {"fast": 1, "balanced": 4, "best": 8}

# Output length limits come in steps, so that segments of similar length share
# a CTranslate2 call (a batch has one length limit).
_LIMIT_STEP = 32


def decoding_limit(source_tokens: int, cap: int) -> int:
    """Room for a translation twice the source's length: no hundreds of hallucinated tokens."""
    return min(cap, _LIMIT_STEP * math.ceil((2 * source_tokens + 10) / _LIMIT_STEP))


@dataclasses.dataclass(frozen=True)
class Translated:
    texts: list[str]
    segments: int  # what was sent to the engine, after sentence splitting and cutting
    cached_segments: int = 0


class TranslationService:
    def __init__(self, settings: Settings, model: ModelDirectory, engine: EngineClient):
        self.settings = settings
        self.model = model
        self.engine = engine
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
        segmented = [segment(text, source_lang) for text in texts]
        sentences = [s for text in segmented for s in text.sentences]
        if not sentences:
            return Translated(list(texts), 0)
        encoded = self.tokenizer.encode(sentences, source_lang)
        sources = [source for chunks in encoded for source in chunks]
        cap = self.settings.max_decoding_length
        outputs = self.engine.translate(
            sources,
            [decoding_limit(len(s), cap) for s in sources],
            self.tokenizer.token_ids[target_lang],
            QUALITY_BEAMS[quality],
            deadline,
            request_id,
            disconnected,
        )
        decoded = iter(self.tokenizer.decode(outputs))
        translated = []
        for chunks in encoded:
            parts = [next(decoded) for _ in chunks]
            joined = parts[0] + "".join(j + p for j, p in zip(self.tokenizer.joiners(chunks), parts[1:]))
            translated.append(joined)
        sentence_translations = iter(translated)
        joined = [text.join([next(sentence_translations) for _ in text.sentences]) for text in segmented]
        return Translated(joined, len(sources))
