"""Errors as each protocol's clients expect them: the status they branch on and the body they parse.

The service decides what went wrong (a stable code, a message, a status); this only says it the way
DeepL, LibreTranslate or Google would, so that their client libraries raise their own exceptions —
the DeepL SDK its AuthorizationException on 403 and QuotaExceededException on 456, for instance.
"""

from __future__ import annotations

from collections.abc import Callable

ErrorShape = Callable[[int, str, str, dict], tuple[int, dict]]


def deepl(status: int, code: str, message: str, extra: dict) -> tuple[int, dict]:
    if status == 401:
        status = 403  # DeepL: a missing or wrong key is Forbidden
    elif status == 429 and extra.get("budget") == "characters":
        status = 456  # DeepL: Quota exceeded
    elif status in (405, 415, 422):
        status = 400
    return status, {"message": message}


def libretranslate(status: int, code: str, message: str, extra: dict) -> tuple[int, dict]:
    if status == 401:
        status = 403  # LibreTranslate: "Invalid API key"
    elif status in (413, 415, 422):
        status = 400
    return status, {"error": message}


_GOOGLE_STATUS = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 405: "INVALID_ARGUMENT",
                  408: "DEADLINE_EXCEEDED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE",
                  504: "DEADLINE_EXCEEDED"}


def google(status: int, code: str, message: str, extra: dict) -> tuple[int, dict]:
    if status == 401:
        status = 403  # Google: "The request is missing a valid API key."
    elif status in (413, 415, 422):
        status = 400
    return status, {"error": {
        "code": status, "message": message, "status": _GOOGLE_STATUS.get(status, "UNKNOWN"),
        "errors": [{"message": message, "domain": "global", "reason": code}],
    }}


_PREFIXES: list[tuple[str, ErrorShape]] = [
    ("/v2/", deepl),
    ("/libretranslate/", libretranslate),
    ("/language/translate/v2", google),
]


def shape_for(path: str) -> ErrorShape | None:
    """The error shape of the protocol this path belongs to; None for the service's own routes."""
    return next((shape for prefix, shape in _PREFIXES if path.startswith(prefix)), None)
