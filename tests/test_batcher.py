"""The batcher alone, in process: who goes first, how large a batch grows, when it waits."""

import threading
import time

import pytest

from nllb.engine.batcher import Batcher, Example
from nllb.engine.cost import BatchCost
from nllb.ipc.inbox import InboundRequest


def request(segments: int, deadline: float = float("inf")) -> InboundRequest:
    return InboundRequest(worker_slot=0, request_slot=0, generation=1, request_id="r", deadline=deadline,
                          target_token=0, beam_size=1, sources=[], output_limits=[], output_offsets=[],
                          remaining=segments)


def examples(segments: int, beam: int = 1, limit: int = 32, tokens: int = 10, deadline: float = float("inf")):
    owner = request(segments, deadline)
    return [Example(owner, i, ["x"] * tokens, "fra_Latn", beam, limit) for i in range(segments)]


def taught(batcher: Batcher) -> Batcher:
    """A cost model that has seen batches of a few shapes: 1 ms a step plus 1 µs per hypothesis-step."""
    for rows, steps in ((1, 32), (8, 512), (64, 64), (16, 512)):
        batcher.cost.record(rows, steps, steps * (0.001 + 1e-6 * rows * steps))
    return batcher


def test_the_cost_model_learns_a_fixed_and_a_growing_part():
    cost = BatchCost()
    assert cost.seconds(8, 512) == 0.0  # nothing known yet: no estimate holds a batch back
    for rows, steps in ((1, 32), (8, 512), (64, 64), (16, 512)):
        cost.record(rows, steps, steps * (0.001 + 1e-6 * rows * steps))
    assert abs(cost.seconds(8, 512) - 512 * (0.001 + 1e-6 * 8 * 512)) < 0.01


def test_beyond_the_largest_batch_seen_the_cost_grows_at_least_in_proportion():
    cost = BatchCost()
    for rows in (1, 2, 4):  # small batches whose time hardly grows: the fit sees no growth
        cost.record(rows, 512, 0.25)
    assert cost.seconds(4, 512) < 0.3
    assert cost.seconds(320, 512) >= 0.25 * 320 / 4


def test_a_first_batch_slowed_by_the_device_starting_up_does_not_keep_batches_at_one_row():
    # On a fresh H100 the engine's first batch, 11 rows, took 15.8 s (CUDA's start-up); every batch after it
    # was held to one row, 0.15 s, because the fit kept the first batch's slope: 40 sentences/s instead of 1,000.
    batcher = Batcher(max_examples=1024, max_tokens=10**6, max_seconds=2.0)
    batcher.cost.record(11, 48, 15.8)
    grown = []
    for _ in range(5):
        batcher.put(examples(64, limit=48))
        batch = batcher.take()
        grown.append(len(batch))
        batcher.cost.record(len(batch), 48, 0.15 + 0.0002 * len(batch))
        while len(batcher):
            batcher.take()
    assert grown[-1] == 64, grown


def test_a_batch_grows_only_while_its_expected_time_fits():
    batcher = taught(Batcher(max_examples=1024, max_tokens=10**6, max_seconds=0.5))
    batcher.put(examples(64, beam=8, limit=512))
    first = batcher.take()
    assert 1 <= len(first) < 64
    assert batcher.cost.seconds(8 * len(first), 512) <= 0.5 or len(first) == 1


def test_after_a_batch_runs_out_of_device_memory_later_batches_stay_below_its_size():
    batcher = Batcher(max_examples=1024, max_tokens=10**6)
    batcher.put(examples(400, limit=32, tokens=10))
    first = batcher.take()
    assert len(first) == 400
    assert batcher.ran_out_of_memory(first) == int(0.85 * 400 * (10 + 32))
    batcher.put(first)  # isolation retried it; the next batches are new work of the same shape
    sizes = []
    while len(batcher):
        sizes.append(len(batcher.take()))
    assert sizes == [340, 60]


def test_a_batch_that_ran_out_of_memory_after_the_limit_was_lowered_does_not_raise_it_and_one_segment_always_goes():
    batcher = Batcher(max_examples=1024, max_tokens=10**6)
    batcher.put(examples(100, limit=32, tokens=10))
    taken = batcher.take()
    assert batcher.ran_out_of_memory(taken[:2]) == int(0.85 * 2 * 42)
    assert batcher.ran_out_of_memory(taken) is None  # started before the limit came down
    batcher.put(examples(3, limit=32, tokens=10))
    assert [len(batcher.take()) for _ in range(3)] == [1, 1, 1]


def test_one_segment_that_runs_out_of_memory_leaves_the_limit_alone():
    batcher = Batcher(max_examples=1024, max_tokens=10**6)
    batcher.put(examples(1, limit=512, tokens=256))
    assert batcher.ran_out_of_memory(batcher.take()) is None
    batcher.put(examples(50, limit=32, tokens=10))
    assert len(batcher.take()) == 50


def test_examples_that_would_end_past_their_deadline_are_named_before_the_batch_starts():
    batcher = taught(Batcher(max_examples=1024, max_tokens=10**6))
    soon = examples(1, beam=8, limit=512, deadline=time.monotonic() + 0.5)  # expected to take 2.6 s
    later = examples(1, beam=8, limit=512, deadline=time.monotonic() + 60)
    assert batcher.too_late(soon + later) == soon


def test_a_short_request_after_a_long_one_goes_before_the_long_ones_tail():
    batcher = taught(Batcher(max_examples=1024, max_tokens=10**6, max_seconds=0.5))
    long = examples(64, beam=8, limit=512)
    short = examples(1, beam=8, limit=32)
    batcher.put(long)
    batcher.put(short)
    served = [batcher.take() for _ in range(3)]
    assert all(len(batch) == 1 for batch in served)  # one long segment is all a batch may hold here
    assert short in served  # not behind the 63 segments that remain of the long request


def test_a_backlog_larger_than_a_batch_is_served_oldest_first_and_every_group_gets_its_turn():
    batcher = Batcher(max_examples=4, max_tokens=10**6)
    beam = examples(1, beam=4, limit=64)
    greedy = [examples(1) for _ in range(12)]
    for one in greedy[:6] + [beam] + greedy[6:]:
        batcher.put(one)
    greedy = [one[0] for one in greedy]
    served = [batcher.take() for _ in range(4)]
    assert served[0] == greedy[:4]  # the oldest, up to the size limit
    assert served[1] == greedy[4:8]  # the greedy group's head is still older than the beam request
    assert served[2] == beam  # now its head is the oldest: younger greedy requests do not starve it
    assert served[3] == greedy[8:12]


def test_examples_past_their_deadline_never_leave_the_batcher():
    batcher = Batcher(max_examples=16, max_tokens=10**6)
    batcher.put(examples(3, deadline=time.monotonic() - 1))
    alive = examples(2)
    batcher.put(alive)
    assert batcher.take() == alive and len(batcher) == 0


@pytest.mark.parametrize("sentences", [1, 8], ids=["one sentence", "a list of eight"])
def test_a_lone_request_never_waits_for_a_refill(sentences):
    batcher = Batcher(max_examples=256, max_tokens=10**6, wait_seconds=10)
    batcher.put(examples(sentences))  # one client: the segments of one request are no burst to wait for
    batcher.record(batcher.take(), device_seconds=5.0)
    again = examples(sentences)
    batcher.put(again)
    started = time.monotonic()
    assert batcher.take() == again
    assert time.monotonic() - started < 0.05


def clients(count: int) -> list[list[Example]]:
    """One single-segment request from each of `count` clients."""
    return [examples(1) for _ in range(count)]


def serve_round(batcher: Batcher, arriving: list[list[Example]], device_seconds: float = 0.2) -> list[Example]:
    for one in arriving:
        batcher.put(one)
    batch = batcher.take()
    batcher.record(batch, device_seconds)
    return batch


def test_after_a_batch_the_next_waits_for_its_clients_as_long_as_their_bursts_take():
    batcher = Batcher(max_examples=256, max_tokens=10**6, wait_seconds=1.0)
    returns = []
    batcher.on_return = returns.append
    for _ in range(3):  # rounds of 8 clients that come back 50 ms after answers that took the device 200 ms
        serve_round(batcher, clients(8))
        time.sleep(0.05)
    serve_round(batcher, clients(8))  # the whole burst is there: no wait
    assert len(returns) >= 2 and all(0.04 < r < 0.2 for r in returns)
    half = clients(4)
    for one in half:
        batcher.put(one)
    late = clients(4)
    threading.Timer(0.03, lambda: [batcher.put(one) for one in late]).start()
    started = time.monotonic()
    got = batcher.take()  # waits for the rest of the burst, not for the 1 s bound
    assert sorted(map(id, got)) == sorted(id(one[0]) for one in half + late)
    assert time.monotonic() - started < 0.5


def test_a_large_burst_is_awaited_as_long_as_large_bursts_take_though_small_ones_come_back_sooner():
    batcher = Batcher(max_examples=1024, max_tokens=10**6, wait_seconds=1.0)
    # Small cohorts come back within 10 ms, large ones after 150 ms; more small bursts are measured than large.
    for size, back_after in [(4, 0.01)] * 5 + [(40, 0.15)] * 3:
        serve_round(batcher, clients(size))
        time.sleep(back_after)
    serve_round(batcher, clients(40))
    assert batcher.returns.seconds(40) > 0.12 and batcher.returns.seconds(4) < 0.05
    early = clients(10)
    for one in early:
        batcher.put(one)
    rest = clients(30)
    threading.Timer(0.1, lambda: [batcher.put(one) for one in rest]).start()
    got = batcher.take()  # a median over both cohorts (~10 ms) would have started with the first 10
    assert len(got) == 40


def test_when_only_part_of_a_burst_comes_back_the_rest_waits_only_as_long_as_the_burst_would_take():
    batcher = Batcher(max_examples=256, max_tokens=10**6, wait_seconds=1.0)
    serve_round(batcher, clients(2))  # answered two clients; the queue is empty now
    taken = []
    device = threading.Thread(target=lambda: taken.append(batcher.take()), daemon=True)
    device.start()
    time.sleep(0.05)  # the device thread waits for work
    one = clients(1)[0]
    batcher.put(one)  # one of the two comes back; the other never does
    device.join(timeout=2)
    assert taken == [one]  # started after the patience (a tenth of 0.2 s), not left waiting for the second


def test_a_burst_trickling_in_wakes_the_waiting_device_thread_once_it_is_back_not_at_each_request():
    batcher = Batcher(max_examples=1024, max_tokens=10**6, wait_seconds=5.0)
    serve_round(batcher, clients(64))
    batcher.returns.record(64, 5.0)  # only the arrivals can end this wait
    walks = []
    walk = batcher._drop_expired
    batcher._drop_expired = lambda: (walks.append(1), walk())
    taken = []
    device = threading.Thread(target=lambda: taken.append(batcher.take()), daemon=True)
    device.start()
    for one in clients(64):
        batcher.put(one)
        time.sleep(0.001)  # each arrival leaves the waiting thread time to run
    device.join(timeout=5)
    assert len(taken[0]) == 64
    assert len(walks) <= 4  # each wake walks the queue: once on entry, on the first arrival, when the burst is back


def test_with_two_replicas_each_keeps_the_clients_it_answered():
    batcher = Batcher(max_examples=1024, max_tokens=10**6, wait_seconds=5.0, lanes=2)
    first_round = clients(8)
    for one in first_round:
        batcher.put(one)
    on_0, on_1 = batcher.take(0), batcher.take(1)  # both devices were free: the clients split between them
    assert len(on_0) == len(on_1) == 4
    batcher.record(on_0, device_seconds=0.2, lane=0)
    back_to_0 = clients(2)
    for one in back_to_0:  # replica 0's clients come back while replica 1 still runs
        batcher.put(one)
    batcher.record(on_1, device_seconds=0.2, lane=1)
    rest_of_0, back_to_1 = clients(2), clients(4)
    for one in rest_of_0 + back_to_1:  # those answered first come back first
        batcher.put(one)
    started = time.monotonic()
    assert sorted(map(id, batcher.take(0))) == sorted(id(one[0]) for one in back_to_0 + rest_of_0)
    assert sorted(map(id, batcher.take(1))) == sorted(id(one[0]) for one in back_to_1)
    assert time.monotonic() - started < 1.0  # each burst was whole: neither waited for the other's clients


def test_a_free_replica_takes_what_waits_behind_another_replicas_running_batch():
    batcher = Batcher(max_examples=1024, max_tokens=10**6, wait_seconds=5.0, lanes=2)
    batcher.put(examples(8))
    batcher.put(examples(8))
    running_0, running_1 = batcher.take(0), batcher.take(1)
    late = examples(1)
    batcher.put(late)  # both replicas are busy; it queues behind one of them
    batcher.record(running_1, device_seconds=0.2, lane=1)  # one request answered: no burst to wait for
    started = time.monotonic()
    assert batcher.take(1) == late
    assert time.monotonic() - started < 0.05
    assert len(running_0) == 8


def test_with_two_replicas_a_lone_request_goes_to_the_free_one_at_once():
    batcher = Batcher(max_examples=1024, max_tokens=10**6, wait_seconds=5.0, lanes=2)
    batcher.put(examples(8))
    batcher.take(0)  # replica 0 runs a list of eight
    lone = examples(1)
    batcher.put(lone)
    started = time.monotonic()
    assert batcher.take(1) == lone
    assert time.monotonic() - started < 0.05


def test_a_replica_whose_clients_do_not_come_back_still_takes_what_waits_behind_another():
    batcher = Batcher(max_examples=1024, max_tokens=10**6, wait_seconds=5.0, lanes=2)
    batcher.put(examples(8))
    batcher.take(0)  # replica 0 runs eight segments
    for _ in range(2):
        batcher.put(examples(4))
    answered = batcher.take(1)  # replica 1 runs eight, for two clients
    late = examples(1)
    batcher.put(late)  # queues behind replica 0
    batcher.record(answered, device_seconds=0.2, lane=1)  # replica 1 awaits its two clients, who never return
    taken = []
    device = threading.Thread(target=lambda: taken.append(batcher.take(1)), daemon=True)
    device.start()
    device.join(timeout=2)
    assert taken == [late]  # once its patience (a tenth of 0.2 s) is spent


def test_a_replica_starting_a_batch_takes_along_what_waits_behind_another_replicas_running_batch():
    batcher = Batcher(max_examples=1024, max_tokens=10**6, wait_seconds=5.0, lanes=2)
    batcher.put(examples(8))
    batcher.put(examples(8))
    batcher.take(0)
    running_1 = batcher.take(1)
    behind_0, behind_1 = examples(1), examples(1)
    batcher.put(behind_0)  # both replicas busy: one waits behind replica 0...
    batcher.put(behind_1)  # ...and one behind replica 1
    batcher.record(running_1, device_seconds=0.2, lane=1)
    assert batcher.take(1) == behind_0 + behind_1  # oldest first, and neither waits for replica 0
