"""The worker's side of the exchange: send segments, wait for their translations.

The engine's side is nllb.ipc.inbox; nllb.ipc.slots says how a slot carries a request.
"""

from __future__ import annotations

import itertools
import os
import queue
import select
import time
from array import array
from collections.abc import Callable, Sequence

from nllb.ipc.breaker import CircuitBreaker
from nllb.ipc.channel import Descriptor
from nllb.ipc.exchange import Exchange
from nllb.ipc.slots import RequestSlot, SlotStatus
from nllb.translation.errors import (
    CircuitOpen,
    ClientGone,
    DeadlineExceeded,
    DeviceFailed,
    EngineUnavailable,
    Overloaded,
    Untranslatable,
)
from nllb.translation.request import SegmentJob

# How often a waiting request looks at the engine's state: bounds how long a
# request waits on an engine that died.
_WAKE_SECONDS = 0.1


class EngineClient:
    """A worker's way to the engine: one slot per thread, borrowed for the length of a request."""

    def __init__(self, exchange: Exchange, worker_slot: int, breaker: CircuitBreaker, max_queue: int):
        self.exchange = exchange
        self.breaker = breaker
        self.max_queue = max_queue
        self.state = exchange.state
        self.layout = exchange.layout
        fds = exchange.worker_slots[worker_slot]
        self._channel = fds.channel_write
        self._slots = [
            _WaitableSlot(exchange.request_slot(worker_slot, i), event)
            for i, event in enumerate(fds.events)
        ]
        self._free: queue.SimpleQueue[int] = queue.SimpleQueue()
        for index in range(len(self._slots)):
            self._free.put(index)

    def translate(self, job: SegmentJob) -> list[list[int]]:
        """The output token ids of each segment; a TranslationError when the engine did not translate them."""
        index = self._free.get()
        try:
            results: list[list[int]] = []
            for start, stop in self._waves(job.sources, job.limits):
                results += self._round_trip(index, job, start, stop)
            return results
        finally:
            self._free.put(index)

    def _waves(self, sources: Sequence[list[int]], limits: Sequence[int]):
        """Split a request too large for one slot into consecutive slot-sized waves."""
        start, tokens, outputs = 0, 0, 0
        for i, (source, limit) in enumerate(zip(sources, limits)):
            if i > start and (
                i - start == self.layout.max_segments
                or tokens + len(source) > self.layout.input_tokens
                or outputs + limit > self.layout.output_tokens
            ):
                yield start, i
                start, tokens, outputs = i, 0, 0
            tokens += len(source)
            outputs += limit
        if start < len(sources):
            yield start, len(sources)

    def _round_trip(self, index: int, job: SegmentJob, start: int, stop: int) -> list[list[int]]:
        """Segments `start` to `stop` of the job through slot `index`: write, post, wait, read."""
        waitable = self._slots[index]
        slot = waitable.slot
        epoch = self.state.epoch
        if not self.state.is_serving(epoch):
            raise EngineUnavailable(self.state.reason or "the engine is starting")
        if stall := self.state.stall():
            raise EngineUnavailable(stall)
        if self.breaker.rejects_now():
            raise CircuitOpen(self.breaker.seconds_to_half_open())
        sources = job.sources[start:stop]
        count = len(sources)
        if self.state.queue_depth + count > self.max_queue:
            raise Overloaded()
        generation = slot.header.generation + 1
        slot.header.generation = generation
        limits = job.limits[start:stop]
        ids = array("i", itertools.chain.from_iterable(sources))
        slot.source_lengths[:count] = array("i", map(len, sources))
        slot.output_limits[:count] = array("i", limits)
        slot.source_ids[: len(ids)] = ids
        descriptor = Descriptor(
            request_slot=index, epoch=epoch, generation=generation, segments=count,
            target_token=job.target_token, beam_size=job.beam_size, deadline=job.deadline,
            request_id=job.request_id,
        )
        os.write(self._channel, descriptor.pack())
        try:
            waitable.wait(generation, epoch, self.state, job.deadline, job.cancelled)
        except (DeadlineExceeded, ClientGone, EngineUnavailable):
            # Moving the generation on tells the engine to drop this request
            # before it reaches the device.
            slot.header.generation = generation + 1
            raise
        status = slot.header.status
        if status != SlotStatus.OK:
            raise self._failure(status)
        offsets = itertools.accumulate(limits, initial=0)
        return [slot.output_ids[offset: offset + length].tolist()
                for offset, length in zip(offsets, slot.output_lengths[:count].tolist())]

    def _failure(self, status: int) -> Exception:
        """The engine's answer other than OK, in the domain's words."""
        if status == SlotStatus.OVERLOADED:
            return Overloaded()
        if status == SlotStatus.DEADLINE:
            return DeadlineExceeded()
        if status == SlotStatus.CIRCUIT_OPEN:
            return CircuitOpen(self.breaker.seconds_to_half_open())
        if status == SlotStatus.UNTRANSLATABLE:
            return Untranslatable()
        return DeviceFailed(f"the engine answered status {status}")  # DEVICE_FAILED, or INVALID: a bug


class _WaitableSlot:
    def __init__(self, slot: RequestSlot, event: int):
        self.slot = slot
        self.event = event
        self.poll = select.poll()
        self.poll.register(event, select.POLLIN)

    def wait(self, generation: int, epoch: int, state, deadline: float,
             cancelled: Callable[[], bool]) -> None:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeadlineExceeded()
            if self.poll.poll(min(remaining, _WAKE_SECONDS) * 1000):
                try:
                    os.eventfd_read(self.event)
                except BlockingIOError:
                    pass
            # A signal may belong to an abandoned request of this slot:
            # only the generation says whose answer is there.
            if self.slot.header.answered == generation:
                return
            if not state.is_serving(epoch):
                raise EngineUnavailable(state.reason or "the engine stopped")
            if stall := state.stall():
                raise EngineUnavailable(stall)
            if cancelled():
                raise ClientGone()
