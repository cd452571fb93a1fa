"""The slot protocol, both sides in one process: a worker's EngineClient and the engine's Inbox.

No model and no engine process: the test plays the engine, answering what the inbox receives.
"""

import json
import threading
import time

import pytest

from nllb.config import Settings
from nllb.ipc import CircuitBreaker, EngineClient, Exchange
from nllb.ipc.exchange import WorkerSlotFds
from nllb.ipc.inbox import Inbox
from nllb.ipc.memory import SharedMemory
from nllb.ipc.slots import SlotLayout, SlotStatus
from nllb.ipc.state import EngineState
from nllb.translation import (
    CircuitOpen,
    DeadlineExceeded,
    DeviceFailed,
    EngineUnavailable,
    Overloaded,
    SegmentJob,
    Untranslatable,
)

VOCABULARY = 1000


class Pair:
    """One worker slot's client and an inbox on the same exchange, with the engine ready."""

    def __init__(self, layout: SlotLayout = SlotLayout(max_segments=8, input_tokens=64, output_tokens=128),
                 threads: int = 2):
        self.exchange = Exchange.create(worker_slots=1, slots_per_worker=threads, layout=layout)
        self.epoch = self.exchange.state.begin_epoch()
        self.exchange.state.set_ready("cpu", "float32")
        self.breaker = CircuitBreaker(self.exchange.breaker_memory, Settings())
        self.exchange.state.set_stall_limits(10, 120)
        self.client = EngineClient(self.exchange, 0, self.breaker, max_queue=100)
        self.inbox = Inbox(self.exchange, self.epoch, VOCABULARY)

    def send(self, job: SegmentJob) -> "Call":
        return Call(self.client, job)

    def receive(self, count: int = 1, timeout: float = 5) -> list:
        """The next `count` requests the engine would take in."""
        received, end = [], time.monotonic() + timeout
        while len(received) < count and time.monotonic() < end:
            for fd in self.inbox.fds:
                received += self.inbox.receive(fd)
            time.sleep(0.001)
        assert len(received) == count, f"{len(received)} of {count} requests arrived"
        return received

    def answer_reversed(self, request) -> None:
        for index, source in enumerate(request.sources):
            self.inbox.answer(request, index, source[::-1])


class Call:
    """A client call running in its own thread, as a worker thread would make it."""

    def __init__(self, client: EngineClient, job: SegmentJob):
        self.result = self.error = None
        self.thread = threading.Thread(target=self._run, args=(client, job))
        self.thread.start()

    def _run(self, client, job):
        try:
            self.result = client.translate(job)
        except Exception as exc:
            self.error = exc

    def outcome(self, timeout: float = 5):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the client is still waiting"
        return self.result if self.error is None else self.error


def job(*sources: list[int], limits=None, deadline_in: float = 5.0, beam: int = 1) -> SegmentJob:
    return SegmentJob(
        sources=list(sources),
        limits=limits or [32] * len(sources), target_token=7, beam_size=beam,
        deadline=time.monotonic() + deadline_in, request_id="req-1",
    )


def test_segments_go_through_and_each_answer_comes_back_to_its_segment():
    pair = Pair()
    call = pair.send(job([1, 2, 3], [4, 5], limits=[32, 2], beam=4))
    [request] = pair.receive()
    assert request.sources == [[1, 2, 3], [4, 5]] and request.target_token == 7 and request.beam_size == 4
    assert request.request_id == "req-1" and request.output_limits == [32, 2]
    pair.inbox.answer(request, 1, [9, 9, 9, 9])  # longer than its limit: cut to it
    pair.inbox.answer(request, 0, [3, 2, 1])
    assert call.outcome() == [[3, 2, 1], [9, 9]]


def test_a_job_larger_than_a_slot_travels_in_waves_and_comes_back_whole():
    pair = Pair()
    sources = [[i + 1, i + 2] for i in range(20)]  # 20 segments, 8 per slot
    call = pair.send(job(*sources, limits=[4] * 20))
    for expected in (8, 8, 4):
        [request] = pair.receive()
        assert len(request.sources) == expected
        pair.answer_reversed(request)
    assert call.outcome() == [s[::-1] for s in sources]


def test_a_late_answer_to_an_abandoned_request_never_reaches_the_next_one():
    pair = Pair(threads=1)
    abandoned = pair.send(job([1, 2], deadline_in=0.2))
    [old] = pair.receive()
    assert isinstance(abandoned.outcome(), DeadlineExceeded)
    assert not pair.inbox.awaited(old)  # the worker moved the generation on
    fresh = pair.send(job([5, 6]))
    [new] = pair.receive()
    pair.inbox.answer(old, 0, [666])  # the engine finishes the old one late, into the same slot
    pair.answer_reversed(new)
    assert fresh.outcome() == [[6, 5]]


@pytest.mark.parametrize("status, error", [
    (SlotStatus.OVERLOADED, Overloaded),
    (SlotStatus.DEADLINE, DeadlineExceeded),
    (SlotStatus.CIRCUIT_OPEN, CircuitOpen),
    (SlotStatus.UNTRANSLATABLE, Untranslatable),
    (SlotStatus.DEVICE_FAILED, DeviceFailed),
])
def test_the_engines_verdict_reaches_the_worker_as_a_domain_error(status, error):
    pair = Pair()
    call = pair.send(job([1, 2]))
    [request] = pair.receive()
    pair.inbox.finish(request, status)
    pair.inbox.answer(request, 0, [1])  # nothing after the verdict counts
    assert isinstance(call.outcome(), error)


def test_a_request_the_engine_cannot_read_is_refused_by_the_inbox_itself():
    pair = Pair()
    call = pair.send(job([1, VOCABULARY + 5]))  # a token id past the vocabulary
    received = []
    while call.thread.is_alive():
        received += [r for fd in pair.inbox.fds for r in pair.inbox.receive(fd)]
    assert received == [] and isinstance(call.outcome(), DeviceFailed)


def test_a_descriptor_for_an_engine_that_died_is_dropped_by_its_successor():
    pair = Pair()
    call = pair.send(job([1, 2], deadline_in=0.3))
    successor = Inbox(pair.exchange, pair.epoch + 1, VOCABULARY)
    received = []
    while call.thread.is_alive():
        received += [r for fd in successor.fds for r in successor.receive(fd)]
    assert received == [] and isinstance(call.outcome(), DeadlineExceeded)


def test_nothing_is_sent_while_the_engine_is_down_or_the_breaker_open():
    pair = Pair()
    pair.exchange.state.set_down("engine exited with 70")
    with pytest.raises(EngineUnavailable, match="exited with 70"):
        pair.client.translate(job([1]))
    pair.exchange.state.set_ready("cpu", "float32")
    for _ in range(5):
        pair.breaker.failed("simulated")
    with pytest.raises(CircuitOpen):
        pair.client.translate(job([1]))
    for fd in pair.inbox.fds:
        assert pair.inbox.receive(fd) == []


def test_a_worker_waiting_on_an_engine_that_dies_is_told_within_a_second():
    pair = Pair()
    call = pair.send(job([1, 2], deadline_in=30))
    pair.receive()
    started = time.monotonic()
    pair.exchange.state.set_down("engine killed by signal 9")
    assert isinstance(call.outcome(), EngineUnavailable)
    assert time.monotonic() - started < 1


def test_a_worker_waiting_on_a_silent_engine_is_told_by_the_limit_the_master_set():
    pair = Pair()
    pair.exchange.state.set_stall_limits(0.3, 120)
    call = pair.send(job([1, 2], deadline_in=30))
    pair.receive()  # taken in, and then the engine's loop falls silent: no more heartbeats
    assert isinstance(call.outcome(timeout=3), EngineUnavailable)
    assert "has not answered" in str(call.error)


def test_the_engines_description_of_many_worker_slots_stays_short_and_names_every_descriptor():
    layout = SlotLayout(max_segments=1, input_tokens=1, output_tokens=1)
    slots = 64
    fake = [WorkerSlotFds(10_000 + 300 * w, -1, tuple(range(10_002 + 300 * w, 10_002 + 300 * w + 256)))
            for w in range(slots)]
    fake[5] = WorkerSlotFds(fake[5].channel_read, -1, fake[5].events[:100] + (9_999,) + fake[5].events[100:])
    exchange = Exchange(SharedMemory.create("test-state", EngineState.size), SharedMemory.create("test-breaker", 4096),
                        SharedMemory.create("test-slots", slots * 257 * layout.nbytes), fake, layout)
    argument = json.dumps(exchange.describe())
    assert len(argument) < 4096  # listed one by one: 64 x 256 numbers, over 100 KB
    assert Exchange.attach(json.loads(argument)).worker_slots == fake
