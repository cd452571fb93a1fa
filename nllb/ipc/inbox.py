"""The engine's side of the exchange: requests out of the workers' slots, answers back into them.

The worker's side is nllb.ipc.client. A worker writes a request's token ids
into its slot, bumps the slot's generation and posts a descriptor on its pipe;
the inbox reads the descriptor, checks the slot, and later writes each
segment's output and the request's status into the same slot, sets `answered`
and signals the slot's eventfd. An answer is written only while the slot
still shows the generation it was asked for: a worker that gave up has moved
the generation on, and its slot may already carry its next request.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
import threading
from array import array

from nllb.ipc.channel import ChannelReader
from nllb.ipc.exchange import Exchange
from nllb.ipc.slots import SlotStatus

log = logging.getLogger("nllb.engine")


@dataclasses.dataclass(eq=False)
class InboundRequest:
    """One wave of one worker request, as the engine holds it until it is answered."""

    worker_slot: int
    request_slot: int
    generation: int
    request_id: str
    deadline: float
    target_token: int
    beam_size: int
    sources: list[list[int]]  # token ids of each segment
    output_limits: list[int]
    output_offsets: list[int]
    remaining: int
    finished: bool = False


class Inbox:
    """Every worker's pipe and slots, for the engine of one epoch.

    `receive` runs on the engine's intake thread; `answer` and `finish` on any
    thread: one lock orders them, so a request is completed exactly once.
    """

    def __init__(self, exchange: Exchange, epoch: int, vocabulary_size: int):
        self.exchange = exchange
        self.epoch = epoch
        self.vocabulary_size = vocabulary_size
        self._readers = {w.channel_read: (slot, ChannelReader(w.channel_read))
                         for slot, w in enumerate(exchange.worker_slots)}
        self._lock = threading.Lock()

    @property
    def fds(self) -> list[int]:
        """The pipes to poll for readability."""
        return list(self._readers)

    def receive(self, fd: int) -> list[InboundRequest]:
        """The requests a readable pipe carries; unreadable ones are answered INVALID here, stale ones dropped."""
        worker_slot, reader = self._readers[fd]
        received = []
        for descriptor in reader.read():
            if descriptor.epoch != self.epoch or descriptor.request_slot >= self.exchange.slots_per_worker:
                continue  # posted to an engine that died before reading it
            slot = self.exchange.request_slot(worker_slot, descriptor.request_slot)
            if slot.header.generation != descriptor.generation:
                continue  # abandoned by its worker
            layout = self.exchange.layout
            count = descriptor.segments
            lengths = slot.source_lengths[:count].tolist() if 0 < count <= layout.max_segments else []
            limits = slot.output_limits[:count].tolist()
            total = sum(lengths)
            ids = slot.source_ids[:total].tolist() if 0 < total <= layout.input_tokens else []
            starts = [0, *itertools.accumulate(lengths)]
            request = InboundRequest(
                worker_slot=worker_slot,
                request_slot=descriptor.request_slot,
                generation=descriptor.generation,
                request_id=descriptor.request_id,
                deadline=descriptor.deadline,
                target_token=descriptor.target_token,
                beam_size=descriptor.beam_size,
                sources=[ids[a:b] for a, b in zip(starts, starts[1:])],
                output_limits=limits,
                output_offsets=[0, *itertools.accumulate(limits[:-1])] if limits else [],
                remaining=count,
            )
            if not self._readable(request, lengths, ids):
                log.error("request %s: unreadable request in slot %d/%d", descriptor.request_id, worker_slot,
                          descriptor.request_slot)
                self.finish(request, SlotStatus.INVALID)
                continue
            received.append(request)
        return received

    def _readable(self, request: InboundRequest, lengths: list[int], ids: list[int]) -> bool:
        limits = request.output_limits
        return bool(
            lengths and ids
            and min(lengths) >= 1
            and min(limits) >= 1
            and sum(limits) <= self.exchange.layout.output_tokens
            and 0 <= request.target_token < self.vocabulary_size
            and request.beam_size >= 1
            and min(ids) >= 0
            and max(ids) < self.vocabulary_size
        )

    def awaited(self, request: InboundRequest) -> bool:
        """Not answered yet, and its worker has not moved on."""
        if request.finished:
            return False
        slot = self.exchange.request_slot(request.worker_slot, request.request_slot)
        return slot.header.generation == request.generation

    def answer(self, request: InboundRequest, index: int, ids: list[int]) -> None:
        """Segment `index`'s output, cut at its limit; the last segment completes the request."""
        ids = ids[: request.output_limits[index]]
        with self._lock:
            if request.finished:
                return
            slot = self.exchange.request_slot(request.worker_slot, request.request_slot)
            if slot.header.generation != request.generation:
                request.finished = True
                return
            offset = request.output_offsets[index]
            slot.output_ids[offset: offset + len(ids)] = array("i", ids)
            slot.output_lengths[index] = len(ids)
            request.remaining -= 1
            if request.remaining == 0:
                self._complete(request, SlotStatus.OK)

    def finish(self, request: InboundRequest, status: int) -> None:
        """Answer the whole request with `status` (a SlotStatus), unless it was answered already."""
        with self._lock:
            self._complete(request, status)

    def _complete(self, request: InboundRequest, status: int) -> None:
        if request.finished:
            return
        request.finished = True
        slot = self.exchange.request_slot(request.worker_slot, request.request_slot)
        if slot.header.generation != request.generation:
            return
        slot.header.status = status
        slot.header.answered = request.generation
        os.eventfd_write(self.exchange.worker_slots[request.worker_slot].events[request.request_slot], 1)
