"""The translation cache: one Redis (or Dragonfly) entry per segment, never a failed request.

A key holds everything that decides a translation — the model's fingerprint,
both languages, the decoding options and the segment's text (hashed, so keys
stay short) — under one namespace, so clearing never touches foreign keys.
Values are the translation's UTF-8 bytes. A request costs at most two round
trips: one read of all its segments (an MGET, or, with limits in Redis, inside
the rate-limit script: nllb.access.ratelimit), one pipelined SET for the misses.
Any Redis error is a miss: the request goes on uncached, and the cache backs
off before trying again.
"""

from __future__ import annotations

import hashlib
import logging

import redis

from nllb.redisconn import Backoff, Connections

log = logging.getLogger("nllb.translation.cache")

NAMESPACE = "nllb:tr:"
_CLEAR_BATCH = 1000


class TranslationCache:
    def __init__(self, client: redis.Redis, fingerprint: str, ttl_seconds: int, decoding: str):
        self.redis = client
        self._connections = Connections(client)  # for the request path; the client for the rest
        self.ttl = ttl_seconds
        self._prefix = f"{NAMESPACE}{fingerprint}:{decoding}:"
        self._backoff = Backoff()
        self.connected = True

    def key(self, text: str, source_lang: str, target_lang: str, beam_size: int) -> str:
        digest = hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()
        return f"{self._prefix}{source_lang}:{target_lang}:b{beam_size}:{digest}"

    @property
    def available(self) -> bool:
        """Whether asking Redis is worth it now, given its recent failures."""
        return self._backoff.open

    def get_many(self, keys: list[str]) -> list[str | None]:
        if not keys or not self._backoff.open:
            return [None] * len(keys)
        try:
            values = self._connections.run(("MGET", *keys))[0]
        except redis.RedisError as exc:
            self._failed(exc)
            return [None] * len(keys)
        self._succeeded()
        return self.decode(values)

    @staticmethod
    def decode(values: list[bytes | None]) -> list[str | None]:
        """Entries as Redis returns them (from MGET, or read by another's script), as translations."""
        return [v.decode("utf-8") if v is not None else None for v in values]

    def set_many(self, items: dict[str, str]) -> None:
        if not items or not self._backoff.open:
            return
        try:
            self._connections.run(*[("SET", key, value.encode("utf-8"), "EX", self.ttl) for key, value in items.items()])
        except redis.RedisError as exc:
            self._failed(exc)
            return
        self._succeeded()

    def reachable(self) -> bool:
        """Whether Redis answers now (a PING, off the hot path), not what this worker last saw."""
        try:
            self.redis.ping()
        except redis.RedisError as exc:
            self._failed(exc)
        else:
            self._succeeded()
        return self.connected

    def clear(self) -> int:
        """Delete this service's entries (every model's), never anything else: no FLUSHDB."""
        deleted = 0
        batch = []
        for key in self.redis.scan_iter(match=NAMESPACE + "*", count=_CLEAR_BATCH):
            batch.append(key)
            if len(batch) == _CLEAR_BATCH:
                deleted += self.redis.unlink(*batch)
                batch = []
        if batch:
            deleted += self.redis.unlink(*batch)
        return deleted

    def stats(self) -> dict:
        keys = sum(1 for _ in self.redis.scan_iter(match=NAMESPACE + "*", count=_CLEAR_BATCH))
        memory = self.redis.info("memory")
        return {"keys": keys, "server_used_memory_bytes": memory.get("used_memory"),
                "server_used_memory_human": memory.get("used_memory_human")}

    def _failed(self, exc: Exception) -> None:
        if self.connected:
            log.warning("cache unavailable, translating uncached: %s", exc.__class__.__name__)
        self.connected = False
        self._backoff.failed()

    def _succeeded(self) -> None:
        if not self.connected:
            log.info("cache reachable again")
        self.connected = True
        self._backoff.succeeded()
