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


class Connections:
    """Connections of a client's pool, kept for the request path and used without redis-py's client.

    redis-py's client wraps each command in work of its own: a retry policy,
    the pool's check that a connection holds no unread answer (one more system
    call), instrumentation. On the 2-core VM that was a quarter of the
    rate-limit script's call, and 38 of 94 µs of CPU for a cache MGET
    (docs/PERFORMANCE.md, sessions 29 and 30). The connections are made by the
    client's pool, with its address, credentials, timeouts and health checks;
    one that fails is closed before it is used again, and every answer to a
    write is read before the connection is reused, so none is ever read as the
    answer to another command.
    """

    def __init__(self, client: redis.Redis):
        self._pool = client.connection_pool
        self._idle: list = []  # list.pop and list.append are atomic: threads share it without a lock

    def run(self, *commands: Sequence) -> list:
        """The answers to `commands`, sent in one write; the first error answer is raised after all are read."""
        try:
            connection = self._idle.pop()
        except IndexError:
            connection = self._pool.make_connection()
        try:
            if len(commands) == 1:
                connection.send_command(*commands[0])
            else:
                connection.send_packed_command(connection.pack_commands(commands))
            answers, refused = [], None
            for _ in commands:
                try:
                    answers.append(connection.read_response())
                except redis.exceptions.ResponseError as exc:  # an answer in full: the next follows
                    refused = refused or exc
        except BaseException:
            connection.disconnect()
            self._idle.append(connection)  # reconnects when next used
            raise
        self._idle.append(connection)
        if refused is not None:
            raise refused
        return answers


class Script:
    """A Lua script run on Connections: by its hash, or sent whole where Redis has lost it (a restart, SCRIPT FLUSH)."""

    def __init__(self, client: redis.Redis, source: str):
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()
        self._connections = Connections(client)

    def __call__(self, keys: Sequence[str], args: Sequence) -> list:
        try:
            return self._connections.run(("EVALSHA", self.sha, len(keys), *keys, *args))[0]
        except redis.exceptions.NoScriptError:
            return self._connections.run(("EVAL", self.source, len(keys), *keys, *args))[0]
