"""One Redis connection setup for the cache, rate limits and tokens.

Redis is optional for the cache and shared limits, so calls are short: small
socket timeouts, and after a failure the caller backs off before trying again
instead of paying a timeout on every request.
"""

from __future__ import annotations

import threading
import time

import redis

TIMEOUT_SECONDS = 0.25
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 15.0


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_timeout=TIMEOUT_SECONDS,
        socket_connect_timeout=TIMEOUT_SECONDS,
        health_check_interval=30,
        retry_on_timeout=False,
    )


class Backoff:
    """Says whether Redis is worth trying now, given its recent failures."""

    def __init__(self):
        self._lock = threading.Lock()
        self._until = 0.0
        self._delay = FIRST_BACKOFF_SECONDS

    @property
    def open(self) -> bool:
        return time.monotonic() >= self._until

    def failed(self) -> None:
        with self._lock:
            self._until = time.monotonic() + self._delay
            self._delay = min(self._delay * 2, MAX_BACKOFF_SECONDS)

    def succeeded(self) -> None:
        with self._lock:
            self._until = 0.0
            self._delay = FIRST_BACKOFF_SECONDS
