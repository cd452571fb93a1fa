"""The values that go in and out of a translation: what is asked, what comes back, what the engine is given."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

from nllb.config import QUALITY_BEAMS
from nllb.translation.markup import MarkupOptions


def _never() -> bool:
    return False


@dataclasses.dataclass(frozen=True)
class TranslationRequest:
    """Texts into one language; `source_lang` None: each text's own language is identified.
    `deadline` is on time.monotonic()'s clock."""

    texts: Sequence[str]
    source_lang: str | None
    target_lang: str
    quality: str = "balanced"
    deadline: float = math.inf
    request_id: str = "-"
    cancelled: Callable[[], bool] = _never  # true once nobody waits for the answer any more
    markup: MarkupOptions | None = None  # HTML or XML documents rather than plain texts

    @property
    def beam_size(self) -> int:
        return QUALITY_BEAMS[self.quality]

    @property
    def characters(self) -> int:
        """What the request is billed: every character of its texts."""
        return sum(len(text) for text in self.texts)


@dataclasses.dataclass(frozen=True)
class Detection:
    """The language identified for one text."""

    language: str | None  # None: an empty text, nothing to identify
    confidence: float
    unchanged: bool  # already in the target language, so returned as it came


@dataclasses.dataclass(frozen=True)
class Translation:
    """The translations, in the order of the request's texts, and what it took to make them."""

    texts: list[str]
    segments: int  # sentences after splitting, what the engine or the cache answered
    cached_segments: int
    billed_characters: int
    detections: list[Detection] | None = None  # for a request without a source language

    @property
    def all_cached(self) -> bool:
        return self.segments == self.cached_segments > 0


@dataclasses.dataclass(frozen=True)
class SegmentJob:
    """Token-id segments for the engine: one target language, one beam, a length limit per segment."""

    sources: Sequence[list[int]]
    limits: Sequence[int]
    target_token: int
    beam_size: int
    deadline: float
    request_id: str
    cancelled: Callable[[], bool] = _never

    def __len__(self) -> int:
        return len(self.sources)
