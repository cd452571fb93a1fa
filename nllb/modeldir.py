"""An NLLB model directory as CTranslate2 writes it, checked before anything loads it."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from nllb.languages import Languages

SENTENCEPIECE_NAMES = ("sentencepiece.bpe.model", "sentencepiece.model", "spm.model")
VOCABULARY_NAMES = ("shared_vocabulary.json", "shared_vocabulary.txt")
# Written by `nllb model synth`; its presence makes the service say loudly that
# translations are gibberish.
SYNTHETIC_MARKER = "SYNTHETIC"


class ModelDirectoryError(ValueError):
    """The directory is not a CTranslate2 NLLB model; the message says what is missing."""


@dataclasses.dataclass(frozen=True)
class ModelDirectory:
    path: Path
    vocabulary: list[str]
    sentencepiece_path: Path
    languages: Languages
    fingerprint: str
    synthetic: str | None

    @classmethod
    def open(cls, path: str | Path) -> "ModelDirectory":
        root = Path(path)
        if not root.is_dir():
            raise ModelDirectoryError(f"{root} is not a directory")
        for required in ("model.bin", "config.json"):
            if not (root / required).is_file():
                raise ModelDirectoryError(
                    f"{root} has no {required}: it is not a CTranslate2 model "
                    "(convert one with ct2-transformers-converter, or run `nllb model synth`)"
                )
        vocabulary = _read_vocabulary(root)
        sentencepiece = next((root / n for n in SENTENCEPIECE_NAMES if (root / n).is_file()), None)
        if sentencepiece is None:
            raise ModelDirectoryError(
                f"{root} has no SentencePiece model ({' or '.join(SENTENCEPIECE_NAMES)}); "
                "copy the tokenizer's sentencepiece.bpe.model next to model.bin"
            )
        languages = Languages(vocabulary)
        if not len(languages) or "</s>" not in vocabulary:
            raise ModelDirectoryError(
                f"{root} is not an NLLB model: its vocabulary has no language tokens such as eng_Latn"
            )
        marker = root / SYNTHETIC_MARKER
        return cls(
            path=root,
            vocabulary=vocabulary,
            sentencepiece_path=sentencepiece,
            languages=languages,
            fingerprint=_fingerprint(root),
            synthetic=marker.read_text("utf-8").strip() if marker.is_file() else None,
        )


def _read_vocabulary(root: Path) -> list[str]:
    for name in VOCABULARY_NAMES:
        path = root / name
        if path.is_file():
            if name.endswith(".json"):
                return json.loads(path.read_text("utf-8"))
            return path.read_text("utf-8").splitlines()
    raise ModelDirectoryError(f"{root} has no shared vocabulary ({' or '.join(VOCABULARY_NAMES)})")


def _fingerprint(root: Path) -> str:
    """Identifies the weights without hashing gigabytes: config, vocabulary and model.bin's size and edges."""
    digest = hashlib.sha256()
    for name in ("config.json", *VOCABULARY_NAMES):
        if (root / name).is_file():
            digest.update((root / name).read_bytes())
    model = root / "model.bin"
    size = model.stat().st_size
    digest.update(str(size).encode())
    with model.open("rb") as weights:
        digest.update(weights.read(1 << 20))
        weights.seek(max(0, size - (1 << 20)))
        digest.update(weights.read(1 << 20))
    return digest.hexdigest()[:16]
