"""One Redis connection setup for the cache, rate limits and tokens.

Redis is optional for the cache and shared limits, so calls are short: small
socket timeouts, and after a failure the caller backs off before trying again
instead of paying a timeout on every request.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence

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


class Script:
    """A Lua script, run on connections of its own rather than through redis-py's client.

    The rate-limit script is the one Redis call of a cached request, and
    redis-py's client wraps each command in work of its own: a retry policy,
    the pool's check that a connection holds no unread answer (one more system
    call), instrumentation. On the 2-core VM that was a quarter of the call
    (docs/PERFORMANCE.md, session 29). The connections are made by the
    client's pool, with its address, credentials, timeouts and health checks;
    one that fails is closed before it is used again, so no connection is
    reused holding half an answer. Where Redis has lost its scripts (a restart,
    SCRIPT FLUSH) the script is sent whole, and Redis keeps it again.
    """

    def __init__(self, client: redis.Redis, source: str):
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()
        self._pool = client.connection_pool
        self._idle: list = []  # list.pop and list.append are atomic: threads share it without a lock

    def __call__(self, keys: Sequence[str], args: Sequence) -> list:
        try:
            connection = self._idle.pop()
        except IndexError:
            connection = self._pool.make_connection()
        try:
            try:
                connection.send_command("EVALSHA", self.sha, len(keys), *keys, *args)
                answer = connection.read_response()
            except redis.exceptions.NoScriptError:
                connection.send_command("EVAL", self.source, len(keys), *keys, *args)
                answer = connection.read_response()
        except redis.exceptions.ResponseError:
            self._idle.append(connection)  # Redis answered in full: the connection is sound
            raise
        except BaseException:
            connection.disconnect()
            self._idle.append(connection)  # reconnects when next used
            raise
        self._idle.append(connection)
        return answer
