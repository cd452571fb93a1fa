"""GCRA arithmetic, and exact limits under contention from many processes and threads."""

import fcntl
import os
import signal
import threading
import time

import redis

from nllb.access.ratelimit import Budget, Limiter, LocalLimiter, weigh
from nllb.redisconn import FIRST_BACKOFF_SECONDS, connect


def test_a_budget_allows_a_burst_of_its_limit_then_refills_one_unit_per_interval():
    budget = Budget(limit=4, window=60)
    tats = [0.0]
    allowed = []
    for _ in range(6):
        ok, tats, decision = weigh(1000.0, tats, [budget], [1])
        allowed.append((ok, decision.outcomes[0].remaining))
    assert allowed == [(True, 3), (True, 2), (True, 1), (True, 0), (False, 0), (False, 0)]
    ok, _, decision = weigh(1000.0 + 15.0, tats, [budget], [1])
    assert ok and decision.outcomes[0].remaining == 0
    denied = weigh(1000.0, tats, [budget], [1])[2]
    assert abs(denied.retry_after - 15.0) < 1e-6


def test_a_request_passes_only_if_every_budget_allows_and_then_charges_all():
    budgets = [Budget(10, 60), Budget(100, 60)]
    ok, tats, decision = weigh(0.0, [0.0, 0.0], budgets, [1, 80])
    assert ok and [o.remaining for o in decision.outcomes] == [9, 20]
    ok, tats2, decision = weigh(0.0, tats, budgets, [1, 30])
    assert not ok and tats2 == tats  # nothing charged when refused
    assert decision.outcomes[1].retry_after > 0 and decision.outcomes[0].retry_after == 0


def test_a_full_table_forgets_the_keys_idle_longest_never_a_spent_one():
    limiter = LocalLimiter.create("test-limits-full")
    scarce, plenty = [Budget(limit=2, window=3600)], [Budget(limit=10**6, window=3600)]
    assert [limiter.check("spent", scarce, [1]).allowed for _ in range(3)] == [True, True, False]
    # Twice as many keys as the table has entries: every stripe fills and gives entries up.
    for i in range(8192):
        assert limiter.check(f"caller-{i}", plenty, [1]).allowed
    assert not limiter.check("spent", scarce, [1]).allowed
    assert limiter.spent("spent", scarce[0])


def test_the_shared_memory_limiter_is_exact_across_processes_and_threads():
    limiter = LocalLimiter.create("test-limits")
    budget = [Budget(limit=300, window=3600)]
    read, write = os.pipe()
    children = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:
            counts = []

            def hammer():
                # Four keys in four stripes: threads of one process hold and wait on different stripes.
                counts.append(sum(limiter.check(f"token:{i % 4}", budget, [1]).allowed for i in range(240)))

            threads = [threading.Thread(target=hammer) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            os.write(write, f"{sum(counts)}\n".encode())
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    os.close(write)
    totals = [int(x) for x in os.read(read, 4096).split()]
    assert len(totals) == 4 and sum(totals) == 4 * 300  # 1,920 attempts a key, exactly the limit allowed


def test_a_worker_killed_while_it_holds_the_table_blocks_the_others_only_until_it_dies():
    limiter = LocalLimiter.create("test-limits-killed")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        limiter._lock(fcntl.F_WRLCK, 0, LocalLimiter.size)  # every stripe, as a worker mid-update holds one
        os.write(write, b"held")
        time.sleep(60)
        os._exit(0)
    assert os.read(read, 4) == b"held"
    decided = threading.Event()
    threading.Thread(target=lambda: decided.set() if limiter.check("token", [Budget(5, 60)], [1]) else None,
                     daemon=True).start()
    assert not decided.wait(0.3)  # the lock holds while its holder lives
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    assert decided.wait(5)  # the kernel released it with the process


def redis_decides(limiter: Limiter) -> bool:
    """One request through `limiter`: True when Redis decided it (it then also reads the keys asked for)."""
    decision, values = limiter.check_and_read("t", [Budget(10**6, 60)], [1], ["nllb:tr:unset"])
    assert decision.allowed
    return values == [None]


def test_redis_limits_survive_a_flushed_script_cache_and_a_restarted_redis(redis_server):
    limiter = Limiter(LocalLimiter.create("test-flush"), connect(redis_server.url))
    assert redis_decides(limiter)
    redis.Redis.from_url(redis_server.url).script_flush()
    assert redis_decides(limiter)  # the script is loaded again, on the same connection
    redis_server.stop()
    assert not redis_decides(limiter)  # this node's limits take over
    redis_server.start()
    time.sleep(FIRST_BACKOFF_SECONDS + 0.1)
    assert redis_decides(limiter)  # on a new connection


def test_an_answer_that_came_too_late_is_never_read_as_the_next_ones(redis_server):
    limiter = Limiter(LocalLimiter.create("test-late"), connect(redis_server.url))
    other = redis.Redis.from_url(redis_server.url)
    other.mset({"nllb:tr:first": b"first", "nllb:tr:second": b"second"})
    assert limiter.check_and_read("t", [Budget(100, 60)], [1], ["nllb:tr:first"])[1] == [b"first"]
    # Redis busy past the limiter's socket timeout: the request is decided here, and Redis' answer comes late.
    other.client_pause(600)
    assert limiter.check_and_read("t", [Budget(100, 60)], [1], ["nllb:tr:first"])[1] is None
    time.sleep(0.6 + FIRST_BACKOFF_SECONDS)
    assert limiter.check_and_read("t", [Budget(100, 60)], [1], ["nllb:tr:second"])[1] == [b"second"]
