"""Adaptive batching: start at once when the device is idle, grow under load.

While the device works on one batch, new segments pile up; the next batch
takes everything that waits, up to the size limits. A lone request therefore
never waits for a window to close, and a busy engine runs large batches.
Language pairs mix freely, since NLLB's target language is a per-example
prefix. Greedy segments of any length share a call: greedy decoding is causal,
so a translation cut at its own length limit is exactly what it would be
alone. Beam search is not, so beam segments share a call only with segments
of the same length limit.

No request holds the device for long: a batch grows only while its expected
device time (nllb.engine.cost) stays within MAX_BATCH_SECONDS, and segments are
served in order of their request's arrival plus their position in it, so the
tenth segment of a long request waits behind the first segment of a request
that came just after it.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import threading
import time
from collections.abc import Callable

from nllb.engine.cost import BatchCost
from nllb.engine.fit import DecayedLine
from nllb.engine.memory import DeviceMemory
from nllb.ipc.inbox import InboundRequest


@dataclasses.dataclass(eq=False)
class Example:
    request: InboundRequest
    index: int  # the segment's position in its request
    tokens: list[str]
    target: str
    beam_size: int
    limit: int
    order: tuple[int, int] = (0, 0)
    enqueued_at: float = 0.0

    @property
    def key(self) -> tuple[int, ...]:
        return (1,) if self.beam_size == 1 else (self.beam_size, self.limit)

    def __lt__(self, other: "Example") -> bool:
        return self.order < other.order


def batch_shape(batch: list[Example]) -> tuple[int, int]:
    """Hypotheses decoded side by side, and the steps the batch runs (its longest limit)."""
    return sum(e.beam_size for e in batch), max(e.limit for e in batch)


# After a batch, the clients it answered come back as a burst when they keep
# a fixed number of requests in flight: they send their next requests, workers
# parse them. Starting the next batch before they are back splits the clients
# into cohorts that take turns on the device, each batch half full — on an
# H100 at 256 in flight that halved throughput, since a batch of 128 costs
# nearly what one of 256 does. So the next batch may wait until as many
# requests have arrived as the last batch answered, for as long as such a
# burst takes to come back, at most BATCH_TIMEOUT_MS. A lone request never
# waits: the last batch answered only itself.
#
# How long is learned per burst size (ReturnTime): every worker serialises
# its share of a burst, so 290 clients take several times as long as 30. A
# single yardstick for all sizes (the median return) was tried on an H100 at
# 256 in flight: the small cohorts' quick returns set it, the next big burst
# was cut off after its first 30 clients, and batches alternated between ~290
# and ~30 (docs/PERFORMANCE.md). Before any burst was measured, the wait is a
# tenth of the last batch's device time. (Waiting only where a cost-model
# comparison said it paid was tried on an H200 and lowered throughput at 512
# in flight: docs/PERFORMANCE.md.)
REFILL_FRACTION = 0.1
# The wait covers the expected return with this margin.
RETURN_MARGIN = 1.25
# Each new burst keeps this share of what the older ones taught.
_RETURNS_MEMORY = 0.9


class ReturnTime:
    """How long the clients of a batch take to come back, by how many requests it answered."""

    def __init__(self) -> None:
        self._line = DecayedLine(_RETURNS_MEMORY)  # seconds against requests

    @property
    def known(self) -> bool:
        return self._line.known

    def record(self, requests: int, seconds: float) -> None:
        self._line.add(float(requests), seconds)

    def seconds(self, requests: int) -> float:
        """The expected return of a burst of `requests`; call only once `known`."""
        fit = self._line.never_falling()
        if fit is None:  # bursts of one size only: in proportion to them
            mean_requests, mean_seconds = self._line.means()
            return mean_seconds * requests / mean_requests
        fixed, growth = fit
        return fixed + growth * requests


class _Lane:
    """One device thread's queue, and the burst of clients its last batch answered."""

    def __init__(self, lock: threading.Lock) -> None:
        # One heap per decoding key, ordered by (request arrival + segment index, arrival).
        self.groups: dict[tuple[int, ...], list[Example]] = {}
        self.queued = 0
        self.running = 0  # segments of the batch on its device
        # The burst being awaited: requests the last batch answered, and how many arrived since it ended.
        self.burst_size = 0
        self.burst_arrived = 0
        self.last_seconds = 0.0
        self.last_finished = 0.0
        self.ready = threading.Condition(lock)

    @property
    def awaiting(self) -> bool:
        """Its device is free and waits for the clients of its last batch."""
        return bool(self.burst_size) and not self.running

    def first_group(self) -> list[Example]:
        return min(self.groups.values(), key=lambda group: group[0].order)

    def absorb(self, other: "_Lane") -> None:
        """Take over everything queued in `other`."""
        for key, waiting in other.groups.items():
            group = self.groups.setdefault(key, [])
            for example in waiting:
                heapq.heappush(group, example)
        self.queued += other.queued
        other.groups, other.queued = {}, 0


# Several model replicas (DEVICE_INDEX=0,1, INTER_THREADS) each run a device
# thread, and each thread keeps a lane: a queue and a burst of its own. With
# one shared queue, one replica's answered clients came back into whichever
# thread woke first, the other replica's wait for its own burst was cut short,
# and closed-loop cohorts broke into ever smaller ones: on two H200s at 1,024
# in flight each replica ran batches of ~350 of the 576 segments that were its
# share (docs/PERFORMANCE.md). So a request goes to the lane that awaits a
# burst, the one answered longest ago first (its clients come back first), and
# otherwise to the lane with the least work; a lane that starts a batch (its
# clients back, or its patience for them spent) first takes over what queues
# behind other lanes' running batches, which would otherwise wait for a device
# while this one is free.


class Batcher:
    def __init__(self, max_examples: int, max_tokens: int, wait_seconds: float = 0.0,
                 max_seconds: float = float("inf"), on_return: Callable[[float], None] = lambda seconds: None,
                 lanes: int = 1):
        self.max_examples = max_examples
        self.max_tokens = max_tokens
        self.wait_seconds = wait_seconds
        self.max_seconds = max_seconds
        self.on_return = on_return
        self.cost = BatchCost()
        self.returns = ReturnTime()
        self.memory = DeviceMemory()
        self._lock = threading.Lock()
        self._lanes = [_Lane(self._lock) for _ in range(lanes)]
        self._arrivals = itertools.count()
        self._closed = False

    def __len__(self) -> int:
        return sum(lane.queued for lane in self._lanes)

    def put(self, examples: list[Example]) -> None:
        now = time.monotonic()
        with self._lock:
            lane = self._route()
            idle = not lane.queued
            arrival = next(self._arrivals)
            grown = 0
            for example in examples:
                example.order = (arrival + example.index, arrival)
                example.enqueued_at = now
                group = lane.groups.setdefault(example.key, [])
                heapq.heappush(group, example)
                grown = max(grown, len(group))
            lane.queued += len(examples)
            if lane.burst_size:
                lane.burst_arrived += 1
                if lane.burst_arrived >= lane.burst_size:
                    self.returns.record(lane.burst_size, now - lane.last_finished)
                    self.on_return(now - lane.last_finished)
                    lane.burst_size = 0
            # A device thread waiting for a burst wakes when the burst is
            # back or a batch is full, not at each of its requests: every
            # wake walks the queue under the GIL the intake thread needs, and
            # a burst of 256 woke it 256 times. The first arrival into an
            # empty queue always wakes it: it waits without a timeout then.
            if idle or not lane.burst_size or grown >= self.max_examples:
                lane.ready.notify()

    def _route(self) -> _Lane:
        awaiting = [lane for lane in self._lanes if lane.awaiting]
        if awaiting:
            return min(awaiting, key=lambda lane: lane.last_finished)
        return min(self._lanes, key=lambda lane: lane.queued + lane.running)

    def record(self, batch: list[Example], device_seconds: float, lane: int = 0) -> None:
        """A batch of `lane` just finished: the yardstick for waiting on its next, and for the cost of batches."""
        rows, steps = batch_shape(batch)
        answered = len({id(e.request) for e in batch})
        with self._lock:
            self.cost.record(rows, steps, device_seconds)
            own = self._lanes[lane]
            own.running = 0
            own.last_seconds = device_seconds
            own.last_finished = time.monotonic()
            # A lone request is no burst; a burst still unmeasured is dropped (it came back too slowly to count).
            own.burst_size = answered if answered > 1 else 0
            own.burst_arrived = 0

    def ran_out_of_memory(self, part: list[Example]) -> int | None:
        """`part` ran out of device memory: later batches stay below its size (DeviceMemory). The lowered limit, or
        None where nothing changed: the limit was lower already, or `part` was one segment, which no smaller batch
        would help (it would only hold every later batch to one segment)."""
        if len(part) < 2:
            return None
        rows, steps = batch_shape(part)
        with self._lock:
            return self.memory.ran_out(rows, max(len(e.tokens) for e in part), steps)

    def too_late(self, batch: list[Example]) -> list[Example]:
        """The examples of `batch` whose deadline comes before the batch is expected to end."""
        if not batch:
            return []
        with self._lock:
            ends = time.monotonic() + self.cost.seconds(*batch_shape(batch))
        return [e for e in batch if e.request.deadline < ends]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for lane in self._lanes:
                lane.ready.notify_all()

    def take(self, lane: int = 0) -> list[Example] | None:
        """Block until there is work for `lane`'s device; None once closed. Expired segments are dropped here."""
        own = self._lanes[lane]
        with self._lock:
            own.running = 0
            while True:
                if self._closed:
                    return None
                self._drop_expired()
                behind = self._behind_running_batches(own)
                if not own.queued and not behind:
                    own.ready.wait()
                    continue
                full = own.queued and len(own.first_group()) >= self.max_examples
                wait = 0.0 if full else self._patience_left(own)
                if wait > 0:
                    own.ready.wait(wait)
                    continue
                for other in behind:
                    own.absorb(other)
                return self._pop(own, own.first_group())

    def _behind_running_batches(self, own: _Lane) -> list[_Lane]:
        """The other lanes whose queued segments wait for their device's running batch to end."""
        return [lane for lane in self._lanes if lane is not own and lane.queued and lane.running]

    def _patience_left(self, lane: _Lane) -> float:
        """Seconds `lane` still waits for its last batch's clients to come back; 0 or less to start now."""
        if not lane.burst_size:
            return 0.0
        if self.returns.known:
            patience = RETURN_MARGIN * self.returns.seconds(lane.burst_size)
        else:
            patience = REFILL_FRACTION * lane.last_seconds
        return lane.last_finished + min(self.wait_seconds, patience) - time.monotonic()

    def _pop(self, lane: _Lane, group: list[Example]) -> list[Example]:
        """The next batch for `lane`'s device, from the head of one of its groups."""
        batch: list[Example] = []
        longest = rows = steps = 0
        while group and len(batch) < self.max_examples:
            head = group[0]
            longest_if_added = max(longest, len(head.tokens))
            rows_if_added, steps_if_added = rows + head.beam_size, max(steps, head.limit)
            if batch and (
                longest_if_added * (len(batch) + 1) > self.max_tokens
                or self.cost.seconds(rows_if_added, steps_if_added) > self.max_seconds
                or not self.memory.holds(rows_if_added, longest_if_added, steps_if_added)
            ):
                break
            longest, rows, steps = longest_if_added, rows_if_added, steps_if_added
            batch.append(heapq.heappop(group))
        if not group:
            del lane.groups[batch[0].key]
        lane.queued -= len(batch)
        lane.running = len(batch)
        return batch

    def _drop_expired(self) -> None:
        now = time.monotonic()
        for lane in self._lanes:
            for key in list(lane.groups):
                group = lane.groups[key]
                alive = [e for e in group if e.request.deadline > now and not e.request.finished]
                if len(alive) == len(group):
                    continue
                lane.queued -= len(group) - len(alive)
                if alive:
                    heapq.heapify(alive)
                    lane.groups[key] = alive
                else:
                    del lane.groups[key]
