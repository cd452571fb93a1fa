"""The set of IPC resources the master creates: engine state, slots, pipes, events.

Layout: worker slot w owns one request pipe and `threads` request slots, each
with an eventfd on which the engine signals completion. A worker slot is lent
to one gunicorn worker at a time; there are more worker slots than workers so
that old and new workers overlap during a graceful reload.
"""

from __future__ import annotations

import dataclasses
import os

from nllb.ipc.memory import SharedMemory
from nllb.ipc.slots import RequestSlot, SlotLayout
from nllb.ipc.state import EngineState

# Room for the circuit breaker's record (nllb.ipc.breaker), which both the
# engine and the workers read and write.
BREAKER_BYTES = 4096


@dataclasses.dataclass(frozen=True)
class WorkerSlotFds:
    channel_read: int
    channel_write: int  # -1 in the engine, which only reads
    events: tuple[int, ...]


class Exchange:
    def __init__(
        self,
        state_memory: SharedMemory,
        breaker_memory: SharedMemory,
        slot_memory: SharedMemory,
        worker_slots: list[WorkerSlotFds],
        layout: SlotLayout,
    ):
        self.state = EngineState(state_memory)
        self.breaker_memory = breaker_memory
        self.layout = layout
        self.worker_slots = worker_slots
        self._state_memory = state_memory
        self._slot_memory = slot_memory
        per_worker = len(worker_slots[0].events)
        self.slots_per_worker = per_worker
        self._slots = [
            [
                RequestSlot(slot_memory.buffer, (w * per_worker + r) * layout.nbytes, layout)
                for r in range(per_worker)
            ]
            for w in range(len(worker_slots))
        ]

    @staticmethod
    def descriptors(worker_slots: int, slots_per_worker: int) -> int:
        """How many descriptors create() opens for the worker slots: a pipe and an eventfd per request slot each."""
        return worker_slots * (2 + slots_per_worker)

    @classmethod
    def create(cls, worker_slots: int, slots_per_worker: int, layout: SlotLayout) -> "Exchange":
        state = SharedMemory.create("nllb-state", EngineState.size)
        breaker = SharedMemory.create("nllb-breaker", BREAKER_BYTES)
        slots = SharedMemory.create("nllb-slots", worker_slots * slots_per_worker * layout.nbytes)
        fds = []
        for _ in range(worker_slots):
            read, write = os.pipe()
            events = tuple(os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK) for _ in range(slots_per_worker))
            fds.append(WorkerSlotFds(read, write, events))
        exchange = cls(state, breaker, slots, fds, layout)
        for fd in exchange._engine_fds():
            os.set_inheritable(fd, True)
        return exchange

    def request_slot(self, worker_slot: int, request_slot: int) -> RequestSlot:
        return self._slots[worker_slot][request_slot]

    def reclaim(self, worker_slot: int) -> None:
        """Make a dead worker's slots safe to lend again (master, at child exit)."""
        for slot, event in zip(self._slots[worker_slot], self.worker_slots[worker_slot].events):
            slot.header.generation += 1  # any answer still on its way is dropped
            try:
                os.eventfd_read(event)
            except BlockingIOError:
                pass

    # The engine is a fresh interpreter: it inherits the descriptors it needs
    # across exec (same numbers) and gets this description of them as its
    # argument. The eventfds go as runs of consecutive numbers: listed one by
    # one, 32 workers of 256 threads made an argument of 100 KB, too long for
    # the engine's process title to replace, and beyond 128 KiB the kernel
    # refuses the exec.

    def _engine_fds(self) -> list[int]:
        fds = [self._state_memory.fd, self.breaker_memory.fd, self._slot_memory.fd]
        for worker in self.worker_slots:
            fds += [worker.channel_read, *worker.events]
        return fds

    def describe(self) -> dict:
        return {
            "state": [self._state_memory.fd, self._state_memory.size],
            "breaker": [self.breaker_memory.fd, self.breaker_memory.size],
            "slots": [self._slot_memory.fd, self._slot_memory.size],
            "layout": dataclasses.asdict(self.layout),
            "workers": [[w.channel_read, _runs(w.events)] for w in self.worker_slots],
        }

    @classmethod
    def attach(cls, description: dict) -> "Exchange":
        return cls(
            SharedMemory(*description["state"]),
            SharedMemory(*description["breaker"]),
            SharedMemory(*description["slots"]),
            [WorkerSlotFds(read, -1, _expand(runs)) for read, runs in description["workers"]],
            SlotLayout(**description["layout"]),
        )


def _runs(fds: tuple[int, ...]) -> list[list[int]]:
    """[first, count] for each run of consecutive descriptors."""
    runs: list[list[int]] = []
    for fd in fds:
        if runs and runs[-1][0] + runs[-1][1] == fd:
            runs[-1][1] += 1
        else:
            runs.append([fd, 1])
    return runs


def _expand(runs: list[list[int]]) -> tuple[int, ...]:
    return tuple(fd for first, count in runs for fd in range(first, first + count))
