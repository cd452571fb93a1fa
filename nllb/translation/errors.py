"""Why a request was not translated, in the domain's words; each HTTP shape maps them to its own answer."""

from __future__ import annotations


class TranslationError(Exception):
    """The request was not translated; `retry_after` (seconds) when trying again later may work."""

    retry_after: float | None = None


class EngineUnavailable(TranslationError):
    """The engine is starting, restarting or wedged; the message says which."""

    retry_after = 5.0


class Overloaded(TranslationError):
    """Too many segments wait for the engine already."""

    retry_after = 1.0


class CircuitOpen(TranslationError):
    """The device keeps failing, so translations are paused until the breaker lets a probe through."""

    def __init__(self, retry_after: float):
        super().__init__(f"the circuit breaker is open for {retry_after:.0f} s more")
        self.retry_after = retry_after


class DeadlineExceeded(TranslationError):
    """The request's deadline passed before its translation was ready."""


class Untranslatable(TranslationError):
    """This input failed to translate on its own, while the rest of its batch succeeded."""


class DeviceFailed(TranslationError):
    """The device failed the whole batch this request was in."""

    retry_after = 5.0


class ClientGone(TranslationError):
    """The caller hung up while its request waited."""


class DetectionUnavailable(TranslationError):
    """A text's language was to be identified, and no identification model is installed."""

    def __init__(self):
        super().__init__("identifying a text's language needs a language identification model: "
                         "`nllb model download-lid`, then LID_MODEL_PATH")


class LanguageNotDetected(TranslationError):
    """No language the model knows was identified with enough confidence for text `index`."""

    def __init__(self, index: int, best: str | None, confidence: float):
        super().__init__(index, best, confidence)
        self.index = index
        self.best = best
        self.confidence = confidence


class InvalidMarkup(TranslationError):
    """An HTML or XML text could not be read (not well-formed, a DTD, nested too deep)."""
