"""Translation as the service means it, whatever protocol asks for it.

Every HTTP shape (ours, and the compatibility endpoints) builds a
`TranslationRequest`, hands it to `nllb.translation.service.TranslationService`
and turns the `Translation` it gets back — or one of the `TranslationError`s —
into its own status and body.
"""

from nllb.translation.errors import (
    CircuitOpen,
    ClientGone,
    DeadlineExceeded,
    DetectionUnavailable,
    DeviceFailed,
    EngineUnavailable,
    InvalidMarkup,
    LanguageNotDetected,
    Overloaded,
    TranslationError,
    Untranslatable,
)
from nllb.translation.request import Detection, SegmentJob, Translation, TranslationRequest

__all__ = [
    "CircuitOpen",
    "ClientGone",
    "DeadlineExceeded",
    "Detection",
    "DetectionUnavailable",
    "DeviceFailed",
    "EngineUnavailable",
    "InvalidMarkup",
    "LanguageNotDetected",
    "Overloaded",
    "SegmentJob",
    "Translation",
    "TranslationError",
    "TranslationRequest",
    "Untranslatable",
]
