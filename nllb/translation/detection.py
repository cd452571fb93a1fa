"""Which language a text is in: a fastText language-identification model, read for the languages the
translation model knows.

NLLB's own LID model, GlotLID and OpenLID are all fastText models whose labels are FLORES-style codes
(`__label__eng_Latn`); candidates outside the translation model's languages are never offered. The
confidence is fastText's own probability for that label, not renormalised over what is left: a text
that looks like a language NLLB does not know keeps a low confidence, and is refused, not guessed.

The model is loaded once per node, by the gunicorn master before it forks the workers (nllb.server):
fastText keeps its matrices in memory it only reads, so every worker shares the same pages.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from pathlib import Path

from nllb.languages import Languages

log = logging.getLogger("nllb.translation.detection")

_LABEL = "__label__"
# Every label a model has, when it has no more than this; otherwise the best this many. The
# NLLB model's 218 labels cost nothing to rank; GlotLID's ~2,000 would, and its best 64 are
# where any language NLLB knows will be.
_RANKED = 256
# fastText reads one line; line breaks and other control characters would end it early.
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# A letter of any script. A text without one (digits, symbols, emoji) is in no language, whatever
# a model trained only on language would answer.
_LETTER = re.compile(r"[^\W\d_]")


class DetectionModelError(Exception):
    """The file is not a fastText language-identification model this service can use."""


@dataclasses.dataclass(frozen=True)
class Candidate:
    code: str  # a FLORES-200 code the translation model knows
    confidence: float


class LanguageDetector:
    def __init__(self, path: Path, languages: Languages):
        import fasttext

        self.path = path
        try:
            self._model = fasttext.load_model(str(path))
        except ValueError as exc:
            raise DetectionModelError(f"{path} is not a fastText model: {exc}") from None
        labels = [label.removeprefix(_LABEL) for label in self._model.get_labels()]
        self.known = frozenset(code for code in labels if code in languages)
        if not self.known:
            raise DetectionModelError(f"{path}: none of its {len(labels)} labels is a language of the translation model")
        self.labels = len(labels)
        self._ranked = -1 if len(labels) <= _RANKED else 64

    def detect(self, texts: list[str], top: int = 3) -> list[list[Candidate]]:
        """The `top` likeliest known languages of each text, likeliest first; [] for a text without letters."""
        lines = [_BREAKS.sub(" ", text).strip() for text in texts]
        ranked = []
        for line in lines:
            if not _LETTER.search(line):
                ranked.append([])
                continue
            labels, probabilities = self._model.predict(line, k=self._ranked)
            candidates = []
            for label, probability in zip(labels, probabilities):
                code = label.removeprefix(_LABEL)
                if code in self.known:
                    candidates.append(Candidate(code, round(float(probability), 4)))
                    if len(candidates) == top:
                        break
            ranked.append(candidates)
        return ranked

    def describe(self) -> dict:
        return {"path": str(self.path), "labels": self.labels, "languages_of_the_translation_model": len(self.known),
                "dimension": self._model.get_dimension()}
