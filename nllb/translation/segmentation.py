"""Text → lines → sentences, and back, keeping every separator exactly.

A text is held as alternating parts: separator, sentence, separator, …,
sentence, separator. Translating replaces the sentences and keeps the rest, so
blank lines, indentation and the spacing between sentences survive, and no
language gets spaces it does not use (a blind " ".join breaks Chinese and
Japanese).
"""

from __future__ import annotations

import dataclasses
import functools
import re

import pysbd

# Every line break Python's str.splitlines knows, \r\n first so it stays one break.
_LINE_BREAK = re.compile(r"(\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029])")

# pysbd's languages, by the ISO 639-3 part of the FLORES-200 code.
_PYSBD_LANGUAGES = {
    "amh": "am", "arb": "ar", "bul": "bg", "dan": "da", "deu": "de", "ell": "el",
    "eng": "en", "spa": "es", "pes": "fa", "fra": "fr", "hin": "hi", "hye": "hy",
    "ita": "it", "jpn": "ja", "kaz": "kk", "mar": "mr", "mya": "my", "nld": "nl",
    "pol": "pl", "rus": "ru", "slk": "sk", "urd": "ur", "zho": "zh",
}

# The fallback: a run of sentence-final punctuation (Latin, Arabic, Devanagari,
# Ethiopic, Myanmar, Khmer, Armenian, …) with any closing quotes and brackets,
# then whitespace; full-width CJK punctuation needs no whitespace after it.
# French sets its closing guillemets apart with a (thin) space: « Oui. »
_TERMINALS = r".!?…‼⁇⁈⁉؟۔।॥።፧။។։"
_CLOSERS = r"\"'”’»›」』）)\]}"
_CLOSING = rf"(?:[{_CLOSERS}]|[ \u00a0\u202f][»›])*"
_SENTENCE_END = re.compile(rf"[{_TERMINALS}]+{_CLOSING}(?=\s)|[。！？｡]+{_CLOSING}")
_ANY_TERMINAL = re.compile(rf"[{_TERMINALS}。！？｡]")
_TRAILING = _TERMINALS + _CLOSERS.replace("\\", "") + "。！？｡ \u00a0\u202f"
# pysbd's time grows with the square of its input on some texts ("a. " repeated
# 6,666 times took 6.8 s): it reads a long line in pieces of about this many
# characters, each cut where the fallback sees a sentence end, so segmenting
# costs time in proportion to the text.
_PYSBD_PIECE = 500
# Scripts written without sentence punctuation, where a space ends a sentence.
_SPACE_SEPARATED = {"tha_Thai", "lao_Laoo"}


@dataclasses.dataclass(frozen=True)
class SegmentedText:
    parts: tuple[str, ...]  # shared by every request with the same text: never changed

    @property
    def sentences(self) -> list[str]:
        return list(self.parts[1::2])

    def join(self, translations: list[str]) -> str:
        if len(translations) != len(self.parts) // 2:
            raise ValueError("one translation per sentence is needed")
        out = [self.parts[0]]
        for translation, separator in zip(translations, self.parts[2::2]):
            out += (translation, separator)
        return "".join(out)


# Texts come back: a cached translation is a text seen before, and pysbd costs
# ~1 ms for a sentence with an abbreviation or an inner full stop — more than
# the rest of a cached request. Each worker keeps the segmentation of its
# recent short texts: a few MB, 16 MB at worst (every text of 4-byte
# characters, held with its parts).
_REMEMBERED_TEXTS = 4096
_REMEMBERED_LENGTH = 500


def segment(text: str, language: str) -> SegmentedText:
    if len(text) <= _REMEMBERED_LENGTH:
        return _remembered(text, language)
    return _segment(text, language)


@functools.lru_cache(maxsize=_REMEMBERED_TEXTS)
def _remembered(text: str, language: str) -> SegmentedText:
    return _segment(text, language)


def _segment(text: str, language: str) -> SegmentedText:
    parts = [""]
    pieces = _LINE_BREAK.split(text)
    for line, line_break in zip(pieces[::2], pieces[1::2] + [""]):
        core = line.strip()
        if not core:
            parts[-1] += line + line_break
            continue
        start = line.index(core)
        parts[-1] += line[:start]
        for sentence, gap in _sentences(core, language):
            parts += (sentence, gap)
        parts[-1] += line[start + len(core):] + line_break
    return SegmentedText(tuple(parts))


def _sentences(core: str, language: str) -> list[tuple[str, str]]:
    """(sentence, whitespace after it) pairs whose concatenation is `core`."""
    if language in _SPACE_SEPARATED:
        pieces = re.split(r"(\s+)", core)
        return list(zip(pieces[::2], pieces[1::2] + [""]))
    if not _ANY_TERMINAL.search(core.rstrip(_TRAILING)):
        return [(core, "")]  # no sentence ends before the end: skip pysbd's regex work
    ends = _sentence_ends(core, language)
    pairs, start = [], 0
    for end in ends + [len(core)]:
        chunk = core[start:end]
        if chunk.strip():
            sentence = chunk.rstrip()
            lead = len(chunk) - len(chunk.lstrip())
            if lead and pairs:
                prev, gap = pairs[-1]
                pairs[-1] = (prev, gap + chunk[:lead])
            pairs.append((sentence.lstrip(), chunk[len(sentence):]))
        elif pairs:
            prev, gap = pairs[-1]
            pairs[-1] = (prev, gap + chunk)
        start = end
    return pairs


def _sentence_ends(core: str, language: str) -> list[int]:
    """Where sentences end inside `core`, before the whitespace that follows them."""
    segmenter = _pysbd(language[:3])
    if segmenter is None:
        return [m.end() for m in _SENTENCE_END.finditer(core)]
    ends, start = [], 0
    for stop in _pieces(core):
        piece = core[start:stop]
        found = _align(piece, segmenter.segment(piece))
        if found is None:
            found = [m.end() for m in _SENTENCE_END.finditer(piece)]
        ends += [start + end for end in found]
        if stop < len(core):
            ends.append(stop)
        start = stop
    return ends


def _pieces(core: str) -> list[int]:
    """Where to cut `core` for pysbd: fallback sentence ends at least _PYSBD_PIECE apart, then its end."""
    stops, last = [], 0
    for match in _SENTENCE_END.finditer(core):
        if match.end() - last >= _PYSBD_PIECE:
            stops.append(match.end())
            last = match.end()
    return stops + [len(core)]


def _align(core: str, sentences: list[str]) -> list[int] | None:
    """Where pysbd's sentences end in the original; None if pysbd changed the text."""
    ends, cursor = [], 0
    for sentence in sentences:
        sentence = sentence.strip()
        if not sentence:
            continue
        at = core.find(sentence, cursor)
        if at < 0 or core[cursor:at].strip():
            return None
        cursor = at + len(sentence)
        ends.append(cursor)
    return ends[:-1] if cursor == len(core) else None


@functools.lru_cache(maxsize=None)
def _pysbd(iso639_3: str) -> pysbd.Segmenter | None:
    code = _PYSBD_LANGUAGES.get(iso639_3)
    return pysbd.Segmenter(language=code, clean=False) if code else None
