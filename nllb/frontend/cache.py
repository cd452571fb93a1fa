"""Admin endpoints of the cache: clear this service's entries, report its state."""

from __future__ import annotations

import falcon
import redis
from prometheus_client import CollectorRegistry, multiprocess

from nllb.frontend.errors import APIError
from nllb.translation.cache import TranslationCache


def _unavailable() -> APIError:
    return APIError(503, "cache_unavailable", "The cache cannot be reached right now.", headers={"Retry-After": "5"})


def _not_configured() -> APIError:
    return APIError(404, "cache_disabled", "No cache is configured (set REDIS_URL and CACHE_ENABLED=true).")


class CacheResource:
    auth = "admin"

    def __init__(self, cache: TranslationCache | None):
        self.cache = cache

    def on_delete(self, req: falcon.Request, resp: falcon.Response) -> None:
        if self.cache is None:
            raise _not_configured()
        try:
            resp.media = {"deleted": self.cache.clear()}
        except redis.RedisError:
            raise _unavailable() from None


class CacheStatsResource:
    auth = "admin"

    def __init__(self, cache: TranslationCache | None):
        self.cache = cache

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if self.cache is None:
            raise _not_configured()
        try:
            stats = self.cache.stats()
        except redis.RedisError:
            raise _unavailable() from None
        hits, misses = _node_counters()
        total = hits + misses
        resp.media = {
            **stats,
            "ttl_seconds": self.cache.ttl,
            # Counted by this node's workers since it started.
            "hits": int(hits),
            "misses": int(misses),
            "hit_ratio": round(hits / total, 4) if total else None,
        }


def _node_counters() -> tuple[float, float]:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    values = {"cache_hits_total": 0.0, "cache_misses_total": 0.0}
    for family in registry.collect():
        for sample in family.samples:
            if sample.name in values:
                values[sample.name] += sample.value
    return values["cache_hits_total"], values["cache_misses_total"]
