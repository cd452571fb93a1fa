"""The circuit breaker, kept in shared memory so workers can refuse at once.

CLOSED → OPEN after CIRCUIT_BREAKER_THRESHOLD consecutive device failures;
OPEN → HALF-OPEN after CIRCUIT_BREAKER_TIMEOUT seconds; HALF-OPEN lets exactly
one probe batch through: success closes, failure reopens. The engine moves it
on batch outcomes; workers read it to answer 503 without queueing; the admin
endpoints report, simulate failures and reset through the same record.
"""

from __future__ import annotations

import ctypes
import enum
import time

from nllb.config import Settings
from nllb.ipc.memory import SharedMemory


class BreakerState(enum.IntEnum):
    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2


class _Fields(ctypes.Structure):
    _fields_ = [
        ("state", ctypes.c_int64),
        ("failures", ctypes.c_int64),
        ("probing", ctypes.c_int64),
        ("trips", ctypes.c_int64),
        ("opened_at", ctypes.c_double),
        ("last_failure_at", ctypes.c_double),
        ("last_failure", ctypes.c_char * 256),
    ]


class CircuitBreaker:
    def __init__(self, memory: SharedMemory, settings: Settings):
        self._f = _Fields.from_buffer(memory.buffer)
        self.enabled = settings.circuit_breaker_enabled
        self.threshold = settings.circuit_breaker_threshold
        self.timeout = settings.circuit_breaker_timeout_seconds

    @property
    def state(self) -> BreakerState:
        return BreakerState(self._f.state)

    def seconds_to_half_open(self) -> float:
        if self._f.state != BreakerState.OPEN:
            return 0.0
        return max(0.0, self._f.opened_at + self.timeout - time.time())

    def rejects_now(self) -> bool:
        """For workers: open, and not yet due for a probe."""
        return self.enabled and self._f.state == BreakerState.OPEN and self.seconds_to_half_open() > 0

    def admit(self) -> bool:
        """For the engine, under its breaker lock: may this batch run?"""
        if not self.enabled:
            return True
        f = self._f
        if f.state == BreakerState.OPEN:
            if self.seconds_to_half_open() > 0:
                return False
            f.state = BreakerState.HALF_OPEN
            f.probing = 0
        if f.state == BreakerState.HALF_OPEN:
            if f.probing:
                return False
            f.probing = 1
        return True

    def succeeded(self) -> None:
        f = self._f
        f.failures = 0
        f.probing = 0
        f.state = BreakerState.CLOSED

    def failed(self, reason: str) -> None:
        f = self._f
        f.failures += 1
        f.last_failure_at = time.time()
        f.last_failure = reason.encode("utf-8", "replace")[:255]
        if self.enabled and (f.state == BreakerState.HALF_OPEN or f.failures >= self.threshold):
            if f.state != BreakerState.OPEN:
                f.trips += 1
            f.state = BreakerState.OPEN
            f.opened_at = time.time()
            f.probing = 0

    def reset(self) -> None:
        self.succeeded()

    def status(self) -> dict:
        f = self._f
        return {
            "enabled": self.enabled,
            "state": self.state.name.lower(),
            "consecutive_failures": f.failures,
            "threshold": self.threshold,
            "timeout_seconds": self.timeout,
            "times_opened": f.trips,
            "last_failure": {
                "reason": f.last_failure.decode("utf-8", "replace"),
                "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(f.last_failure_at)),
            } if f.last_failure_at else None,
            "seconds_to_half_open": round(self.seconds_to_half_open(), 3),
        }
