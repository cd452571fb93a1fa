"""FLORES-200 language codes: which ones a model knows, and what they are called."""

from __future__ import annotations

import dataclasses
import difflib
import re
from importlib import resources

# A language token in an NLLB vocabulary: ISO 639-3 code, underscore, ISO 15924 script.
LANGUAGE_TOKEN = re.compile(r"^[a-z]{3}_[A-Z][a-z]{3}$")

SCRIPT_NAMES = {
    "Arab": "Arabic", "Armn": "Armenian", "Beng": "Bengali", "Cyrl": "Cyrillic",
    "Deva": "Devanagari", "Ethi": "Ethiopic", "Geor": "Georgian", "Grek": "Greek",
    "Gujr": "Gujarati", "Guru": "Gurmukhi", "Hang": "Hangul", "Hans": "Han (Simplified)",
    "Hant": "Han (Traditional)", "Hebr": "Hebrew", "Jpan": "Japanese", "Khmr": "Khmer",
    "Knda": "Kannada", "Laoo": "Lao", "Latn": "Latin", "Mlym": "Malayalam",
    "Mymr": "Myanmar", "Olck": "Ol Chiki", "Orya": "Odia", "Sinh": "Sinhala",
    "Taml": "Tamil", "Telu": "Telugu", "Tfng": "Tifinagh", "Thai": "Thai", "Tibt": "Tibetan",
}


def _read_names() -> dict[str, str]:
    text = resources.files("nllb.data").joinpath("languages.tsv").read_text("utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
    return {code: name for code, name in rows}


LANGUAGE_NAMES = _read_names()
NLLB_LANGUAGE_CODES = tuple(LANGUAGE_NAMES)


@dataclasses.dataclass(frozen=True)
class Language:
    code: str
    name: str
    script: str


class Languages:
    """The languages of one model, read from its vocabulary."""

    def __init__(self, vocabulary: list[str]):
        codes = [token for token in vocabulary if LANGUAGE_TOKEN.match(token)]
        self._by_code = {
            code: Language(
                code=code,
                name=LANGUAGE_NAMES.get(code, code),
                script=SCRIPT_NAMES.get(code[4:], code[4:]),
            )
            for code in codes
        }

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._by_code

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self):
        return iter(self._by_code.values())

    def suggest(self, code: str) -> str | None:
        """The known code closest to a mistyped one (`eng_latn`, `en`, `English`)."""
        if not isinstance(code, str):
            return None
        folded = {c.lower(): c for c in self._by_code}
        if code.lower() in folded:
            return folded[code.lower()]
        by_name = {lang.name.lower(): lang.code for lang in self._by_code.values()}
        if code.lower() in by_name:
            return by_name[code.lower()]
        prefix = [c for c in self._by_code if c.startswith(code.lower()[:3] + "_")] if len(code) >= 3 else []
        if len(prefix) == 1:
            return prefix[0]
        close = difflib.get_close_matches(code, list(self._by_code), n=1, cutoff=0.75)
        return close[0] if close else None
