"""The admin token: from ADMIN_TOKEN or ADMIN_TOKEN_FILE, never a usable default."""

from __future__ import annotations

import logging
import os
import secrets

from nllb.config import ConfigError, Settings

log = logging.getLogger("nllb.access")

MIN_LENGTH = 24
# Values seen in examples and old defaults; refused whatever their length.
_WEAK = ("change-me", "changeme", "change_me", "admin-secret", "password", "secret", "example", "default")


def resolve_admin_token(settings: Settings) -> str:
    """The admin token to use; generated into DATA_DIR/admin_token when none is configured."""
    if settings.admin_token and settings.admin_token_file:
        raise ConfigError("set ADMIN_TOKEN or ADMIN_TOKEN_FILE, not both")
    if settings.admin_token_file:
        try:
            token = settings.admin_token_file.read_text("utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"ADMIN_TOKEN_FILE={settings.admin_token_file} cannot be read: {exc.strerror}") from None
        source = f"ADMIN_TOKEN_FILE ({settings.admin_token_file})"
    elif settings.admin_token:
        token, source = settings.admin_token.strip(), "ADMIN_TOKEN"
    else:
        return _generated(settings)
    problem = weakness(token)
    if problem:
        raise ConfigError(
            f"the admin token from {source} is {problem}. Generate one with "
            f"`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )
    return token


def weakness(token: str) -> str | None:
    lowered = token.lower()
    if any(word in lowered for word in _WEAK):
        return "a placeholder value"
    if len(token) < MIN_LENGTH:
        return f"too short ({len(token)} characters; at least {MIN_LENGTH})"
    if len(set(token)) < 8:
        return "too repetitive"
    return None


def _generated(settings: Settings) -> str:
    path = settings.data_dir / "admin_token"
    if path.is_file():
        token = path.read_text("utf-8").strip()
        if not weakness(token):
            log.warning("admin token read from %s (set ADMIN_TOKEN or ADMIN_TOKEN_FILE to choose it)", path)
            return token
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    os.chmod(path, 0o600)
    log.warning("no ADMIN_TOKEN or ADMIN_TOKEN_FILE: a random admin token was written to %s (mode 0600)", path)
    return token
