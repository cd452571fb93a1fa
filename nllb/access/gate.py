"""Authentication, brute-force protection, rate limits and usage counting, without HTTP."""

from __future__ import annotations

import dataclasses
import hmac
import logging
import math
import threading
import time

import redis

from nllb.access.ratelimit import Budget, Decision, Limiter
from nllb.access.tokens import MAX_TOKEN_LENGTH, Limits, StoreUnavailable, TokenRecord, token_hash
from nllb.config import Settings

log = logging.getLogger("nllb.access")

# Workers remember token lookups this long: revocation reaches every worker
# within it, and no request reads the store.
TOKEN_CACHE_SECONDS = 2.0
USAGE_FLUSH_SECONDS = 5.0


class AccessDenied(Exception):
    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


@dataclasses.dataclass(frozen=True)
class Principal:
    name: str
    token_id: int | None = None
    admin: bool = False
    limits: Limits = Limits()


ANONYMOUS = Principal("anonymous")
ADMIN = Principal("admin", admin=True)


class AccessGate:
    def __init__(self, settings: Settings, admin_token: str, store, limiter: Limiter):
        self.settings = settings
        self._admin = admin_token.encode()
        self.store = store
        self.limiter = limiter
        self._cache: dict[str, tuple[float, TokenRecord | None]] = {}
        self._cache_lock = threading.Lock()
        self._usage: dict[int, list] = {}
        self._usage_lock = threading.Lock()
        self._refused_until: dict[int, float] = {}
        self._failure_budget = Budget(settings.auth_failure_limit, settings.auth_failure_window_seconds)

    def authenticate(self, authorization: str | None, address: str, admin_required: bool) -> Principal:
        # A locked-out address is answered at once, whatever it sends. Nothing
        # here sleeps: a failed attempt that held a worker thread would let a
        # flood of them starve every other client.
        self._refuse_if_locked_out(address)
        if authorization is None:
            raise AccessDenied(401, "missing_token", "Send an API token: `Authorization: Bearer <token>`.")
        scheme, _, credential = authorization.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential or len(credential) > MAX_TOKEN_LENGTH or not credential.isascii():
            self._failed(address)
            raise AccessDenied(401, "invalid_authorization", "The Authorization header must be `Bearer <token>`.")
        if hmac.compare_digest(credential.encode(), self._admin):
            return ADMIN
        record = self._lookup(token_hash(credential))
        if record is None or not record.active:
            self._failed(address)
            raise AccessDenied(401, "invalid_token", "The token is unknown or has been revoked.")
        if admin_required:
            raise AccessDenied(403, "forbidden", "This endpoint needs the admin token.")
        return Principal(record.name, record.id, limits=record.limits)

    def charge(self, principal: Principal, characters: int,
               reads: list[str] | None = None) -> tuple[Decision | None, list[bytes | None] | None]:
        """Weigh one request against the principal's budgets (None when unlimited); with `reads`, the values
        at those keys when Redis read them in the same round trip (see Limiter.check_and_read)."""
        if not self.settings.rate_limit_enabled or principal.token_id is None:
            return None, None
        decision, values = self.limiter.check_and_read(f"token:{principal.token_id}", self.budgets(principal),
                                                       [1, characters], reads or [])
        if not decision.allowed:
            self._refused_until[principal.token_id] = time.monotonic() + decision.retry_after
        return decision, values

    def refused_lately(self, principal: Principal) -> bool:
        """Whether this worker refused the principal a request whose retry time has not passed yet."""
        return principal.token_id is not None and self._refused_until.get(principal.token_id, 0.0) > time.monotonic()

    def peek(self, principal: Principal) -> Decision | None:
        if principal.token_id is None:
            return None
        return self.limiter.check(f"token:{principal.token_id}", self.budgets(principal), [0, 0])

    def budgets(self, principal: Principal) -> list[Budget]:
        s, limits = self.settings, principal.limits
        return [
            Budget(limits.requests or s.rate_limit_requests, limits.requests_window or s.rate_limit_window_seconds),
            Budget(limits.characters or s.rate_limit_characters, limits.characters_window or s.rate_limit_window_seconds),
        ]

    def record_usage(self, principal: Principal, characters: int) -> None:
        if principal.token_id is None:
            return
        with self._usage_lock:
            entry = self._usage.setdefault(principal.token_id, [0, 0, 0.0])
            entry[0] += 1
            entry[1] += characters
            entry[2] = time.time()

    def flush_usage(self) -> None:
        with self._usage_lock:
            usage, self._usage = self._usage, {}
        if usage:
            try:
                self.store.record_usage({k: tuple(v) for k, v in usage.items()})
            except (redis.RedisError, OSError, StoreUnavailable) as exc:
                # Kept for the next flush: one entry per token, so what waits stays small.
                log.warning("token usage could not be saved, will retry: %s", exc)
                with self._usage_lock:
                    for token_id, (requests, characters, last) in usage.items():
                        entry = self._usage.setdefault(token_id, [0, 0, 0.0])
                        entry[0] += requests
                        entry[1] += characters
                        entry[2] = max(entry[2], last)

    def start_usage_flusher(self) -> None:
        def loop() -> None:
            while True:
                time.sleep(USAGE_FLUSH_SECONDS)
                self.flush_usage()

        threading.Thread(target=loop, name="nllb-usage", daemon=True).start()

    def _lookup(self, digest: str) -> TokenRecord | None:
        now = time.monotonic()
        with self._cache_lock:
            cached = self._cache.get(digest)
        if cached and cached[0] > now:
            return cached[1]
        try:
            record = self.store.by_hash(digest)
        except (redis.RedisError, OSError, StoreUnavailable) as exc:
            if cached:  # the store is down: the last answer beats none
                return cached[1]
            log.error("token store unavailable: %s", exc)
            raise AccessDenied(503, "auth_unavailable", "Tokens cannot be checked right now.", retry_after=5) from None
        with self._cache_lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (now + TOKEN_CACHE_SECONDS, record)
        return record

    # Failed authentications are counted per node, in shared memory: the
    # check runs on every request, and a Redis round trip there would cost
    # more than the rest of a cached request.

    def _refuse_if_locked_out(self, address: str) -> None:
        if self.limiter.local.spent(f"authfail:{address}", self._failure_budget):
            raise AccessDenied(
                429, "too_many_auth_failures",
                "Too many failed authentications from this address; try again later.",
                retry_after=self._failure_budget.interval,
            )

    def _failed(self, address: str) -> None:
        self.limiter.local.check(f"authfail:{address}", [self._failure_budget], [1])


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
