"""Rate limits that hold exactly across workers, and across nodes through Redis.

The algorithm is GCRA: one timestamp per budget (the "theoretical arrival
time") replaces a window of counters. A budget of L units per W seconds lets a
burst of L through at once, then refills one unit every W/L seconds; the
decision and the update are one step, so concurrent requests can never both
take the last unit.

Without Redis the timestamps live in shared memory created by the master, in
64 stripes, each guarded by a lock on its byte range: the kernel drops such a
lock when its holder dies, so a worker killed mid-update (gunicorn SIGKILLs
timed-out workers) cannot wedge the others. They are open-file-description
locks, on a description each process opens for itself: classic POSIX locks
belong to a whole process, and with several threads per worker the kernel's
deadlock check then sees cycles that do not exist (EDEADLK). With Redis, one Lua
script decides and updates on the server; if Redis fails, the node's own
limits take over until it is back.
"""

from __future__ import annotations

import ctypes
import dataclasses
import errno
import fcntl
import hashlib
import logging
import math
import os
import struct
import threading
import time

import redis

from nllb.ipc.memory import SharedMemory
from nllb.redisconn import Backoff, Script

log = logging.getLogger("nllb.ratelimit")


@dataclasses.dataclass(frozen=True)
class Budget:
    limit: int
    window: float

    @property
    def interval(self) -> float:
        return self.window / self.limit


@dataclasses.dataclass(frozen=True)
class Outcome:
    """One budget's state after a request was weighed against it."""

    budget: Budget
    remaining: int
    reset_seconds: float  # until the budget is whole again
    retry_after: float  # 0 when allowed


@dataclasses.dataclass(frozen=True)
class Decision:
    allowed: bool
    outcomes: list[Outcome]

    @property
    def retry_after(self) -> float:
        return max(o.retry_after for o in self.outcomes)


def weigh(now: float, tats: list[float], budgets: list[Budget], costs: list[int],
          allowed: bool | None = None) -> tuple[bool, list[float], Decision]:
    """GCRA for several budgets at once: allowed only if every budget allows — or as `allowed` says, when
    Redis decided on these same timestamps."""
    fits, new_tats, _ = gcra(now, tats, budgets, costs)
    allowed = fits if allowed is None else allowed
    kept = _kept(now, allowed, tats, new_tats)
    return allowed, kept, decide(now, allowed, new_tats, kept, budgets)


def gcra(now: float, tats: list[float], budgets: list[Budget],
         costs: list[int]) -> tuple[bool, list[float], list[float]]:
    """Whether allowed, the timestamps the request would set, and those to keep: the part under the lock."""
    new_tats = [max(tat, now) + cost * b.interval for tat, b, cost in zip(tats, budgets, costs)]
    allowed = all(new - now <= b.window + 1e-9 for new, b in zip(new_tats, budgets))
    return allowed, new_tats, _kept(now, allowed, tats, new_tats)


def _kept(now: float, allowed: bool, tats: list[float], new_tats: list[float]) -> list[float]:
    """The timestamps to store: the new ones when allowed; a refusal charges nothing."""
    return new_tats if allowed else [max(tat, now) for tat in tats]


def decide(now: float, allowed: bool, new_tats: list[float], kept: list[float], budgets: list[Budget]) -> Decision:
    """What the caller is told: remaining budget, reset and retry times."""
    outcomes = [
        Outcome(
            budget=b,
            remaining=max(0, math.floor((b.window - (kept_tat - now)) / b.interval + 1e-9)),
            reset_seconds=max(0.0, kept_tat - now),
            retry_after=0.0 if allowed else max(0.0, new - now - b.window),
        )
        for b, new, kept_tat in zip(budgets, new_tats, kept)
    ]
    return Decision(allowed, outcomes)


# struct flock on Linux x86-64 and arm64: type, whence, start, len, pid.
_FLOCK = struct.Struct("hhqqi4x")
# fcntl() straight from libc through ctypes.PyDLL, which keeps the GIL. The
# fcntl module lets the GIL go around every call, so a thread that had just
# taken a stripe's lock went on to wait for its interpreter — up to the 5 ms
# switch interval while its worker's other threads ran — and every other
# worker queued behind it: under a burst on one token (an H200 at 256 in
# flight) that lock was where a worker's threads waited most. Taken without
# blocking and without letting the GIL go, a lock is held only by a running
# thread; while another process holds it, the thread sleeps and tries again.
_LIBC = ctypes.PyDLL(None, use_errno=True)
_LIBC.fcntl.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_char_p)  # variadic in C: its third is a pointer here
_LIBC.fcntl.restype = ctypes.c_int
_LOCK_RETRY_SECONDS = 20e-6
_STRIPES = 64
_ENTRIES = 64
# An entry: a key's digest, then one timestamp per budget (two at most).
# Read and written through struct, not numpy: the few numbers a request
# touches cost less as Python floats than as array views, and a worker runs
# this after sleeping through a device batch, cold (docs/PERFORMANCE.md,
# session 28).
_ENTRY = struct.Struct("<q2d")
_KEY = struct.Struct("<q")
_TATS = struct.Struct("<2d")
_STRIPE_BYTES = _ENTRIES * _ENTRY.size
_ROW_KEYS = struct.Struct("<" + f"q{_TATS.size}x" * _ENTRIES)
_ROW_TATS = struct.Struct("<" + f"{_KEY.size}x2d" * _ENTRIES)


class LocalLimiter:
    """Exact on one node; the table lives in shared memory made by the master."""

    size = _STRIPES * _STRIPE_BYTES

    def __init__(self, memory: SharedMemory):
        self.memory = memory
        self._table = memory.buffer
        self._threads = [threading.Lock() for _ in range(_STRIPES)]
        # Where this process last found each key: checked under the lock, so
        # a busy token's update costs a few scalar reads and writes, not a
        # search of its stripe — every worker thread queues on that lock.
        self._places: dict[int, int] = {}
        self._lock_fd = -1
        self._lock_pid = -1

    def _own_description(self) -> int:
        """This process's own open file description of the table (inherited ones are shared)."""
        if self._lock_pid != os.getpid():
            self._lock_fd = os.open(f"/proc/self/fd/{self.memory.fd}", os.O_RDWR | os.O_CLOEXEC)
            self._lock_pid = os.getpid()
        return self._lock_fd

    def _lock(self, kind: int, start: int, length: int) -> None:
        """Take (F_WRLCK) or release (F_UNLCK) a byte range of the table, holding the GIL throughout."""
        request = _FLOCK.pack(kind, os.SEEK_SET, start, length, 0)
        description = self._own_description()
        while _LIBC.fcntl(description, fcntl.F_OFD_SETLK, request) != 0:
            failure = ctypes.get_errno()
            if failure not in (errno.EAGAIN, errno.EACCES, errno.EINTR):
                raise OSError(failure, os.strerror(failure))
            time.sleep(_LOCK_RETRY_SECONDS)

    @classmethod
    def create(cls, name: str) -> "LocalLimiter":
        return cls(SharedMemory.create(name, cls.size))

    def spent(self, key: str, budget: Budget) -> bool:
        """Whether the budget has nothing left for the key now: a racy read, without locking or charging.

        Asked on every request (the brute-force lockout), and nearly always
        of a key that was never charged: that answer costs one scan of a row.
        """
        digest = _digest(key)
        row = digest % _STRIPES * _STRIPE_BYTES
        keys = _ROW_KEYS.unpack_from(self._table, row)
        if digest not in keys:
            return False
        tat = _TATS.unpack_from(self._table, row + keys.index(digest) * _ENTRY.size + _KEY.size)[0]
        return tat - time.time() > budget.window - budget.interval + 1e-9

    def check(self, key: str, budgets: list[Budget], costs: list[int]) -> Decision:
        digest = _digest(key)
        stripe = digest % _STRIPES
        row = stripe * _STRIPE_BYTES
        table = self._table
        # fcntl locks are per process; the thread lock orders this worker's threads.
        with self._threads[stripe]:
            self._lock(fcntl.F_WRLCK, row, _STRIPE_BYTES)
            try:
                now = time.time()
                index = self._places.get(digest, -1)
                if index < 0 or _KEY.unpack_from(table, row + index * _ENTRY.size)[0] != digest:
                    index = self._places[digest] = self._find(row, digest)
                entry = row + index * _ENTRY.size
                stored = _TATS.unpack_from(table, entry + _KEY.size)
                allowed, new_tats, kept = gcra(now, list(stored[: len(budgets)]), budgets, costs)
                _ENTRY.pack_into(table, entry, digest, *kept, *stored[len(kept):])
            finally:
                self._lock(fcntl.F_UNLCK, row, _STRIPE_BYTES)
        return decide(now, allowed, new_tats, kept, budgets)

    def _find(self, row: int, digest: int) -> int:
        """The entry of `digest` in the stripe at byte `row`, claimed for it if it has none."""
        keys = _ROW_KEYS.unpack_from(self._table, row)
        if digest in keys:
            return keys.index(digest)
        # A new key takes a free entry, else the one that has been idle longest
        # (its budgets are whole again, so forgetting it changes nothing).
        if 0 in keys:
            index = keys.index(0)
        else:
            tats = _ROW_TATS.unpack_from(self._table, row)
            latest = [max(tats[i], tats[i + 1]) for i in range(0, len(tats), 2)]
            index = latest.index(min(latest))
        _TATS.pack_into(self._table, row + index * _ENTRY.size + _KEY.size, 0.0, 0.0)
        return index


def _digest(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little", signed=True) or 1


# Decides and updates all budgets of a key in one atomic step, on Redis' clock.
# KEYS: the budgets' keys, then keys whose values the caller wants read when
# the request is allowed (a translation's cache entries): one round trip for
# both, and a refused request reads nothing. ARGV: each budget's window and
# interval, then each budget's cost.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local budgets = #ARGV / 3
local allowed = 1
local tats, news = {}, {}
for i = 1, budgets do
  local window = tonumber(ARGV[2 * i - 1])
  local interval = tonumber(ARGV[2 * i])
  local cost = tonumber(ARGV[2 * budgets + i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  tats[i] = tat
  news[i] = tat + cost * interval
  if news[i] - now > window + 1e-9 then allowed = 0 end
end
local out = {allowed, tostring(now)}
for i = 1, budgets do
  if allowed == 1 then
    local ttl = math.ceil((news[i] - now) * 1000) + 1000
    redis.call('SET', KEYS[i], tostring(news[i]), 'PX', ttl)
  end
  out[#out + 1] = tostring(tats[i])
end
if allowed == 1 then
  for i = budgets + 1, #KEYS do
    out[#out + 1] = redis.call('GET', KEYS[i])
  end
end
return out
"""


class Limiter:
    """The service's limiter: Redis when configured and reachable, else this node's."""

    def __init__(self, local: LocalLimiter, client: redis.Redis | None, namespace: str = "nllb:rl:"):
        self.local = local
        self.namespace = namespace
        self._script = Script(client, _GCRA) if client is not None else None
        self._backoff = Backoff()

    def check(self, key: str, budgets: list[Budget], costs: list[int]) -> Decision:
        return self.check_and_read(key, budgets, costs, [])[0]

    def check_and_read(self, key: str, budgets: list[Budget], costs: list[int],
                       reads: list[str]) -> tuple[Decision, list[bytes | None] | None]:
        """check(); when Redis decides and allows, also the values at `reads`, from the same round trip.

        The values are None when they were not read: the request was refused,
        or this node's limiter decided (no Redis, or Redis failing).
        """
        if self._script is not None and self._backoff.open:
            try:
                keys = [f"{self.namespace}{key}:{i}" for i in range(len(budgets))]
                args = [x for b in budgets for x in (b.window, b.interval)] + list(costs)
                allowed, now, *rest = self._script(keys=keys + reads, args=args)
                self._backoff.succeeded()
                tats, values = [float(t) for t in rest[:len(budgets)]], rest[len(budgets):]
                # Redis decided and updated; the same arithmetic on the same
                # timestamps gives the figures for the headers.
                allowed, _, decision = weigh(float(now), tats, budgets, costs, allowed=allowed == 1)
                return decision, values if allowed else None
            except redis.RedisError as exc:
                self._backoff.failed()
                log.warning("rate limits fall back to this node's: Redis failed (%s)", exc.__class__.__name__)
        return self.local.check(key, budgets, costs), None
