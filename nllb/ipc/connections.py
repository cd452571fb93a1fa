"""How many connections each worker holds, so that the busiest one lets the others accept.

All workers wait on one listening socket, and the kernel hands each new
connection to whichever accept() wins the race: 64 keep-alive clients over 8
workers were dealt between 4 and 16 each. A worker serves its clients under
one GIL, so the one dealt the most is the slowest to answer them all, while
another sits idle. So a worker that holds more connections than the mean of
the live workers stops accepting until it is back to the mean or below; the
least loaded worker always accepts. On two cores that served 12% more
requests (docs/PERFORMANCE.md).

The board is a row of counts in memory shared by the master and the workers,
one per worker slot: each worker writes its own, the master clears the slot
of a worker that exited.
"""

from __future__ import annotations

from nllb.ipc.memory import SharedMemory


class ConnectionBoard:
    def __init__(self, memory: SharedMemory):
        self.memory = memory
        # A count is stored plus one: 0 marks a slot that no worker holds.
        self._counts = memoryview(memory.buffer).cast("q")

    @classmethod
    def create(cls, worker_slots: int) -> "ConnectionBoard":
        return cls(SharedMemory.create("nllb-connections", 8 * worker_slots))

    def publish(self, slot: int, connections: int) -> None:
        self._counts[slot] = connections + 1

    def clear(self, slot: int) -> None:
        self._counts[slot] = 0

    def above_mean(self, slot: int) -> bool:
        """Whether the worker in `slot` holds more connections than the live workers do on average."""
        live = [count - 1 for count in self._counts.tolist() if count]
        return (self._counts[slot] - 1) * len(live) > sum(live)
