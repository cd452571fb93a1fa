"""Engine state that every process reads without a round trip to the engine."""

from __future__ import annotations

import ctypes
import enum
import time

from nllb.ipc.memory import SharedMemory


class EngineStatus(enum.IntEnum):
    STARTING = 0
    READY = 1
    DOWN = 2


class _Fields(ctypes.Structure):
    _fields_ = [
        ("epoch", ctypes.c_int64),
        ("status", ctypes.c_int64),
        ("restarts", ctypes.c_int64),
        ("queue_depth", ctypes.c_int64),
        ("heartbeat", ctypes.c_double),  # time.monotonic() of the engine loop's last round
        ("batch_started", ctypes.c_double),  # when the oldest running batch started; 0 when none runs
        ("loop_stall_limit", ctypes.c_double),  # ENGINE_STALL_SECONDS; 0: not watched
        ("batch_stall_limit", ctypes.c_double),  # BATCH_STALL_SECONDS; 0: not watched
        ("device", ctypes.c_char * 64),
        ("compute_type", ctypes.c_char * 32),
        ("reason", ctypes.c_char * 512),
    ]


class EngineState:
    """A view of the state record; the master owns epochs, the engine its readiness."""

    size = ctypes.sizeof(_Fields)

    def __init__(self, memory: SharedMemory):
        self._fields = _Fields.from_buffer(memory.buffer)

    @property
    def epoch(self) -> int:
        return self._fields.epoch

    @property
    def status(self) -> EngineStatus:
        return EngineStatus(self._fields.status)

    @property
    def restarts(self) -> int:
        return self._fields.restarts

    @property
    def device(self) -> str:
        return self._fields.device.decode("utf-8", "replace")

    @property
    def compute_type(self) -> str:
        return self._fields.compute_type.decode("utf-8", "replace")

    @property
    def reason(self) -> str:
        return self._fields.reason.decode("utf-8", "replace")

    @property
    def queue_depth(self) -> int:
        return self._fields.queue_depth

    @queue_depth.setter
    def queue_depth(self, value: int) -> None:
        self._fields.queue_depth = value

    def beat(self, batch_started: float) -> None:
        """The engine's loop is alive; `batch_started` says since when its oldest batch runs (0: none)."""
        self._fields.batch_started = batch_started
        self._fields.heartbeat = time.monotonic()

    def set_stall_limits(self, loop_seconds: float, batch_seconds: float) -> None:
        """How long the engine's loop may be silent, and one batch run, before it counts as wedged (the master's)."""
        self._fields.loop_stall_limit = loop_seconds
        self._fields.batch_stall_limit = batch_seconds

    def stall(self) -> str | None:
        """Why the serving engine looks wedged — its loop silent, or one batch running too long — or None."""
        fields = self._fields
        if fields.status != EngineStatus.READY:
            return None
        now = time.monotonic()
        if fields.loop_stall_limit and now - fields.heartbeat > fields.loop_stall_limit:
            return f"the engine has not answered for {now - fields.heartbeat:.0f} s"
        if fields.batch_stall_limit and fields.batch_started and now - fields.batch_started > fields.batch_stall_limit:
            return f"a batch has run on the device for {now - fields.batch_started:.0f} s"
        return None

    def is_serving(self, epoch: int) -> bool:
        """True while the engine of that epoch is up and answering."""
        return self._fields.epoch == epoch and self._fields.status == EngineStatus.READY

    def begin_epoch(self) -> int:
        fields = self._fields
        if fields.epoch:
            fields.restarts += 1
        fields.reason = b""
        fields.queue_depth = 0
        fields.epoch += 1
        self._set(EngineStatus.STARTING, "model loading")
        return fields.epoch

    def set_ready(self, device: str, compute_type: str) -> None:
        self.beat(0.0)
        self._fields.device = device.encode()[:63]
        self._fields.compute_type = compute_type.encode()[:31]
        self._set(EngineStatus.READY, "")

    def set_down(self, reason: str) -> None:
        self._set(EngineStatus.DOWN, reason)

    def set_reason(self, reason: str) -> None:
        self._fields.reason = reason.encode("utf-8", "replace")[:511]

    def _set(self, status: EngineStatus, reason: str) -> None:
        self.set_reason(reason)
        self._fields.status = status
