"""The process model: one engine, workers that may die, a clean stop."""

import contextlib
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

SENTENCE = "The library opens at nine in the morning and closes at six in the evening."


def shm_entries():
    return set(os.listdir("/dev/shm")) if Path("/dev/shm").is_dir() else set()


def wait_for(predicate, timeout=30.0, interval=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return False


def test_there_is_exactly_one_engine_and_the_titles_say_what_each_process_is(make_server):
    srv = make_server(WORKERS="3").start()
    assert len(srv.engines()) == 1
    assert len(srv.workers()) == 3
    assert Path(f"/proc/{srv.pid}/cmdline").read_bytes().startswith(b"nllb: master")
    assert srv.children()[srv.engines()[0]] == "nllb: engine cpu"


def test_the_engine_warms_the_device_up_before_it_says_it_is_ready(make_server):
    # On a fresh H100 the first translation took 15 s of CUDA start-up: paid before readiness, not by a request.
    srv = make_server().start()
    log = srv.log()
    assert "device warmed up in" in log
    assert log.index("device warmed up in") < log.index("loaded on")
    assert srv.translate("Hello.").status == 200


def test_sigterm_stops_everything_and_leaves_nothing_behind(make_server):
    before = shm_entries()
    srv = make_server().start()
    assert srv.translate("Hello.").status == 200
    processes = [srv.pid, *srv.children()]
    assert srv.stop(signal.SIGTERM) == 0
    assert wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in processes), timeout=10)
    assert shm_entries() == before
    log = srv.log()
    assert "resource_tracker" not in log and "Traceback" not in log


def test_sigterm_to_the_whole_process_group_stops_the_service_without_an_error_in_the_log(make_server):
    # As a process manager that signals the whole group stops it (or `kill -- -PGID`, or GNU timeout): the
    # engine gets SIGTERM too, exits cleanly, and the master, not yet told, logged a failed engine at ERROR.
    srv = make_server().start()
    assert srv.translate("Hello.").status == 200
    time.sleep(1)  # an idle engine exits at once, before the master has stopped its workers
    os.killpg(srv.pid, signal.SIGTERM)
    assert srv.process.wait(30) == 0
    errors = [line for line in srv.log().splitlines() if '"level":"error"' in line]
    assert errors == []


def test_a_worker_killed_mid_request_leaves_other_workers_requests_unharmed(make_server):
    # Twelve clients on the two survivors' eight threads wait for a thread longer than the
    # default THREAD_WAIT_SECONDS on two cores, and would be shed with 503 overloaded: that is
    # test_hardening's subject, not this one's.
    srv = make_server(WORKERS="3", THREADS="4", THREAD_WAIT_SECONDS="30").start()
    expected = srv.translate(SENTENCE, quality="best").body
    stop = threading.Event()
    outcomes = []

    def client():
        while not stop.is_set():
            try:
                resp = srv.translate(SENTENCE, quality="best", timeout=30)
                outcomes.append((time.monotonic(), resp.status, resp.body))
            except OSError:  # a connection the killed worker held
                outcomes.append((time.monotonic(), None, None))

    with ThreadPoolExecutor(max_workers=12) as pool:
        for _ in range(12):
            pool.submit(client)
        time.sleep(1.0)
        victim = srv.workers()[0]
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        time.sleep(2.0)
        stop.set()
    answered = [o for o in outcomes if o[1] is not None]
    dropped = [o for o in outcomes if o[1] is None]
    assert len(answered) > 20
    assert [(status, body) for _, status, body in answered if (status, body) != (200, expected)] == []
    # Only the victim's connections broke, and only when it died.
    assert all(killed_at <= at < killed_at + 1.0 for at, _, _ in dropped)
    assert len(dropped) < 12
    assert wait_for(lambda: len(srv.workers()) == 3)
    assert victim not in srv.workers()
    assert len(srv.engines()) == 1


def test_dead_workers_slots_are_reclaimed_so_replacements_keep_serving(make_server):
    # 2 workers, 4 worker slots: six deaths would exhaust slots that were not reclaimed.
    srv = make_server(WORKERS="2").start()
    for _ in range(6):
        victim = srv.workers()[0]
        os.kill(victim, signal.SIGKILL)
        assert wait_for(lambda: len(srv.workers()) == 2 and victim not in srv.workers())
    for _ in range(10):
        assert srv.translate("Hello.").status == 200
    assert "no free worker slot" not in srv.log()


def test_a_worker_added_beyond_the_worker_slots_is_not_started_and_the_service_keeps_serving(make_server):
    # Before, the slotless worker failed to boot and gunicorn halted the whole service.
    srv = make_server(WORKERS="1", WORKER_SLOTS="1").start()
    worker = srv.workers()
    os.kill(srv.pid, signal.SIGTTIN)
    assert wait_for(lambda: "no free worker slot" in srv.log())
    time.sleep(2)  # long enough for a halt, or for the arbiter to fork again
    assert srv.process.poll() is None
    assert srv.workers() == worker
    assert srv.log().count("no free worker slot") == 1
    assert srv.translate("Hello.").status == 200


def thread_cores(pid: int) -> set[frozenset[int]]:
    """The sets of cores the threads of a process may run on."""
    return {frozenset(os.sched_getaffinity(int(tid))) for tid in os.listdir(f"/proc/{pid}/task")}


def on_one_core(pid: int) -> bool:
    """Every thread of the process runs on the same single core."""
    cores = thread_cores(pid)
    return len(cores) == 1 and len(next(iter(cores))) == 1


TWO_CORES = frozenset(sorted(os.sched_getaffinity(0))[:2])


@contextlib.contextmanager
def started_on(cores: frozenset[int]):
    """Children started inside run on these cores (they inherit this thread's set)."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cores)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def test_a_worker_the_kernel_will_not_pin_serves_unpinned_instead_of_failing_to_boot(caplog):
    # A container's cpuset can shrink after the master read it; a worker that raised would halt gunicorn.
    from nllb.server import pin_to_core

    outcome = {}

    def pin(core: int) -> None:
        outcome[core] = (pin_to_core(core), os.sched_getaffinity(0))

    for core in (min(TWO_CORES), 1 << 20):
        thread = threading.Thread(target=pin, args=(core,))
        thread.start()
        thread.join()
    assert outcome[min(TWO_CORES)] == (True, {min(TWO_CORES)})
    assert outcome[1 << 20] == (False, os.sched_getaffinity(0))
    assert f"worker not pinned to core {1 << 20}" in caplog.text


@pytest.mark.skipif(len(TWO_CORES) < 2, reason="workers on cores of their own need two cores")
@pytest.mark.parametrize("settings", [{"WORKERS": "2"}, {"WORKERS": "2", "PIN_WORKERS": "true"}])
def test_each_worker_runs_with_all_its_threads_on_a_core_of_its_own_and_the_engine_on_any(make_server, settings):
    srv = make_server(**settings)
    with started_on(TWO_CORES):
        srv.start()
    for _ in range(4):
        assert srv.translate("Hello.").status == 200
    workers = srv.workers()
    assert all(on_one_core(pid) for pid in workers), [thread_cores(pid) for pid in workers]
    assert set.union(*(thread_cores(pid) for pid in workers)) == {frozenset([core]) for core in TWO_CORES}
    assert thread_cores(srv.engines()[0]) == {TWO_CORES}
    assert "each worker runs on a core of its own" in srv.log()


@pytest.mark.skipif(len(TWO_CORES) < 2, reason="one worker of two cores needs two cores")
def test_true_pins_a_worker_that_auto_leaves_free_on_a_machine_with_more_cores_than_workers(make_server):
    pinned, free = make_server(WORKERS="1", PIN_WORKERS="true"), make_server(WORKERS="1")
    with started_on(TWO_CORES):
        pinned.start()
        free.start()
    assert on_one_core(pinned.workers()[0])
    assert thread_cores(free.workers()[0]) == {TWO_CORES}
    assert "WORKERS=1 of the 2 cores this process may use (PIN_WORKERS=auto" in free.log()


@pytest.mark.skipif(len(TWO_CORES) < 2, reason="a worker that could move needs two cores")
@pytest.mark.parametrize("settings, said", [
    ({"PIN_WORKERS": "false"}, "workers are not pinned to cores (PIN_WORKERS=false)"),
    ({"WORKERS": "3", "PIN_WORKERS": "true"}, "WORKERS=3 exceeds the 2 cores"),
])
def test_workers_move_freely_when_pinning_is_off_or_there_are_fewer_cores_than_workers(make_server, settings, said):
    srv = make_server(**settings)
    with started_on(TWO_CORES):
        srv.start()
    assert srv.translate("Hello.").status == 200
    assert all(thread_cores(pid) == {TWO_CORES} for pid in srv.workers())
    assert said in srv.log()


def test_a_killed_engine_fails_requests_in_flight_fast_and_is_replaced(make_server):
    srv = make_server(WORKERS="2", THREADS="4").start()
    long_text = [f"Part {i}. " + SENTENCE * 3 for i in range(64)]  # distinct: repeats are translated once
    engine = srv.engines()[0]

    def slow_request():
        resp = srv.translate(long_text, quality="best", timeout=60)
        return resp, time.monotonic()

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(slow_request) for _ in range(4)]
        time.sleep(0.5)
        killed_at = time.monotonic()
        os.kill(engine, signal.SIGKILL)
        results = [f.result() for f in futures]
    for resp, _ in results:
        assert resp.status == 503, resp.body
        assert resp.json["error"] == "engine_unavailable"
        assert resp.headers["retry-after"]
    # Each waiting request notices within its wake-up interval (0.1 s), not at its deadline.
    assert all(ended - killed_at < 1.0 for _, ended in results)
    ready = srv.get("/health/ready")  # the successor waits for its back-off, then loads the model
    assert ready.status == 503 and ready.json["checks"]["model_loaded"] is False
    assert wait_for(lambda: srv.get("/health/ready").status == 200, timeout=30)
    assert srv.engines() and srv.engines()[0] != engine
    assert srv.translate("Hello.").status == 200


def test_engine_restarts_while_workers_respawn_do_not_block_supervision(make_server):
    # A restart that overlaps worker forks must still be supervised: killing
    # the new engine later is noticed and healed again.
    srv = make_server(WORKERS="3").start()
    for _ in range(2):
        engine = srv.engines()[0]
        os.kill(engine, signal.SIGKILL)
        for worker in srv.workers():
            os.kill(worker, signal.SIGKILL)
        assert wait_for(lambda: (engines := srv.engines()) and engines[0] != engine and len(srv.workers()) == 3)
        srv.wait_ready()
    assert srv.translate("Hello.").status == 200
