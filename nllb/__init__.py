"""nllb: a production translation service for Meta's NLLB-200 on CTranslate2."""

__version__ = "0.1.0"
