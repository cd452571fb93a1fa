"""API tokens: what a token is, how it is made and how it is recognised.

A token is `nllb_` plus 43 URL-safe characters (256 random bits); the prefix
lets secret scanners find leaked ones. Only its SHA-256 is stored: a token has
far too much entropy for a slow hash to add anything, and a fast one keeps
lookups cheap.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
import time

TOKEN_PREFIX = "nllb_"
MAX_TOKEN_LENGTH = 128
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MAX_DESCRIPTION_LENGTH = 500
MAX_LIMIT = 10**12  # the largest count or window a token's own limits may set


class TokenError(ValueError):
    """A token operation that cannot be done; `code` says which kind."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.field = field


class StoreUnavailable(Exception):
    """The token store cannot be read or written right now; the message says why, without secrets."""


@dataclasses.dataclass(frozen=True)
class Limits:
    """A token's own limits; None falls back to the service's defaults."""

    requests: int | None = None
    requests_window: int | None = None
    characters: int | None = None
    characters_window: int | None = None


@dataclasses.dataclass(frozen=True)
class TokenRecord:
    id: int
    name: str
    description: str
    prefix: str  # the first characters, to tell tokens apart without the secret
    created_at: float
    last_used_at: float | None
    active: bool
    limits: Limits
    requests_total: int = 0
    characters_total: int = 0

    def public(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "prefix": self.prefix,
            "active": self.active,
            "created_at": _iso(self.created_at),
            "last_used_at": _iso(self.last_used_at),
            "limits": {
                "requests": self.limits.requests,
                "requests_window_seconds": self.limits.requests_window,
                "characters": self.limits.characters,
                "characters_window_seconds": self.limits.characters_window,
            },
            "usage": {"requests": self.requests_total, "characters": self.characters_total},
        }


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def display_prefix(token: str) -> str:
    return token[: len(TOKEN_PREFIX) + 4]


def check_name(name: object) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise TokenError(
            "invalid_name",
            "A token name is 1-64 characters: letters, digits and . _ @ -, starting with a letter or digit.",
            "name",
        )
    return name


def check_description(description: object) -> str:
    if description is None:
        return ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION_LENGTH:
        raise TokenError("invalid_description", f"A description is a string of at most {MAX_DESCRIPTION_LENGTH} characters.", "description")
    if any(ord(c) < 32 and c not in "\t\n" for c in description) or not _encodable(description):
        raise TokenError("invalid_description", "A description may not hold control characters.", "description")
    return description


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def now() -> float:
    return time.time()


def _iso(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))
