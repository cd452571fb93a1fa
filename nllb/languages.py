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


# Short tags whose plain reading is not the variety NLLB has: NLLB splits these macrolanguages
# (and a few others) and most text tagged so is in this one. Also the regional variants clients send.
_TAG_OVERRIDES = {
    "ar": "arb_Arab", "fa": "pes_Arab", "ms": "zsm_Latn", "sw": "swh_Latn", "no": "nob_Latn",
    "lv": "lvs_Latn", "mn": "khk_Cyrl", "ne": "npi_Deva", "uz": "uzn_Latn", "az": "azj_Latn",
    "et": "est_Latn", "sq": "als_Latn", "om": "gaz_Latn", "ps": "pbt_Arab", "qu": "quy_Latn",
    "mg": "plt_Latn", "yi": "ydd_Hebr", "ku": "kmr_Latn", "ff": "fuv_Latn", "kr": "knc_Latn",
    "ay": "ayr_Latn", "gn": "grn_Latn", "tl": "tgl_Latn", "fil": "tgl_Latn", "iw": "heb_Hebr",
    "zh": "zho_Hans", "zh-cn": "zho_Hans", "zh-sg": "zho_Hans", "zh-hans": "zho_Hans",
    "zh-tw": "zho_Hant", "zh-hk": "zho_Hant", "zh-mo": "zho_Hant", "zh-hant": "zho_Hant",
}


class LanguageTags:
    """BCP-47 / ISO 639-1 / ISO 639-3 tags ↔ the FLORES-200 codes of one model, for the protocols that
    speak tags (DeepL, LibreTranslate, Google). Parsing is langcodes'; the overrides above say which
    variety a macrolanguage's tag means."""

    def __init__(self, languages: Languages):
        self.known = frozenset(language.code for language in languages)
        self._tags = {code: tag for code in sorted(self.known) if (tag := self._shortest(code))}

    def flores(self, tag: str) -> str | None:
        """The FLORES-200 code a tag means (`de`, `pt-BR`, `zh-Hant`, `prs`, `eng_Latn`), or None."""
        if tag in self.known:
            return tag
        key = tag.strip().replace("_", "-").lower()
        if key in _TAG_OVERRIDES:
            return _TAG_OVERRIDES[key] if _TAG_OVERRIDES[key] in self.known else None
        import langcodes

        try:
            language = langcodes.Language.get(key)
            script = language.script or language.maximize().script
            # The raw subtag first: langcodes folds some languages NLLB keeps apart (prs → fa).
            bases = [key.split("-")[0], language.to_alpha3()]
        except (LookupError, ValueError, langcodes.tag_parser.LanguageTagError):
            return None
        return next((f"{base}_{script}" for base in bases if f"{base}_{script}" in self.known), None)

    def tag(self, code: str) -> str | None:
        """The shortest tag that means this code (`de`, `zh-Hant`, `ace-Arab`), or None if none does."""
        return self._tags.get(code)

    def _shortest(self, code: str) -> str | None:
        import langcodes

        base, script = code.split("_")
        short = langcodes.Language.get(base).language or base
        preferred = [tag for tag, target in _TAG_OVERRIDES.items() if target == code and "-" not in tag]
        candidates = [*preferred, short, f"{short}-{script}", base, f"{base}-{script}"]
        return next((tag for tag in candidates if self.flores(tag) == code), None)
