"""The circuit breaker's state machine, and its admin endpoints on a running service."""

import time

from nllb.config import Settings
from nllb.ipc.breaker import BreakerState, CircuitBreaker
from nllb.ipc.memory import SharedMemory


def breaker(**env):
    settings = Settings.from_env({"CIRCUIT_BREAKER_THRESHOLD": "3", "CIRCUIT_BREAKER_TIMEOUT": "0.2", **env})
    return CircuitBreaker(SharedMemory.create("test-breaker", 4096), settings)


def test_it_opens_after_the_threshold_of_consecutive_failures():
    b = breaker()
    b.failed("one")
    b.failed("two")
    assert b.state == BreakerState.CLOSED and b.admit()
    b.failed("three")
    assert b.state == BreakerState.OPEN and not b.admit() and b.rejects_now()
    assert b.status()["last_failure"]["reason"] == "three"


def test_a_success_between_failures_starts_the_count_again():
    b = breaker()
    b.failed("a")
    b.failed("b")
    b.succeeded()
    b.failed("c")
    b.failed("d")
    assert b.state == BreakerState.CLOSED


def test_half_open_lets_exactly_one_probe_through_and_its_success_closes():
    b = breaker()
    for _ in range(3):
        b.failed("x")
    time.sleep(0.25)
    assert not b.rejects_now()  # due for a probe: workers let requests through
    assert b.admit()  # the probe
    assert b.state == BreakerState.HALF_OPEN
    assert not b.admit() and not b.admit()  # nothing else while it runs
    b.succeeded()
    assert b.state == BreakerState.CLOSED and b.admit() and b.admit()


def test_a_failed_probe_opens_it_again():
    b = breaker()
    for _ in range(3):
        b.failed("x")
    time.sleep(0.25)
    assert b.admit()
    b.failed("probe failed")
    assert b.state == BreakerState.OPEN and b.rejects_now()
    assert b.status()["times_opened"] == 2


def test_disabled_it_never_opens():
    b = breaker(CIRCUIT_BREAKER_ENABLED="false")
    for _ in range(10):
        b.failed("x")
    assert b.state == BreakerState.CLOSED and b.admit() and not b.rejects_now()


def test_the_admin_endpoints_open_report_and_reset_it_and_clients_get_fast_503s(make_server):
    srv = make_server(CIRCUIT_BREAKER_TIMEOUT="2").start()
    assert srv.admin("GET", "/admin/circuit-breaker/status").json["state"] == "closed"
    opened = srv.admin("POST", "/admin/circuit-breaker/test", {}).json
    assert opened["state"] == "open" and opened["consecutive_failures"] == 5
    assert "simulated" in opened["last_failure"]["reason"]
    started = time.monotonic()
    refused = srv.translate("Hello.")
    assert time.monotonic() - started < 0.5
    assert refused.status == 503 and refused.json["error"] == "circuit_open"
    assert 1 <= int(refused.headers["retry-after"]) <= 2
    time.sleep(2.1)
    assert srv.translate("Hello.").status == 200  # the probe succeeds and closes it
    assert srv.admin("GET", "/admin/circuit-breaker/status").json["state"] == "closed"
    srv.admin("POST", "/admin/circuit-breaker/test", {"failures": 5})
    reset = srv.admin("POST", "/admin/circuit-breaker/reset").json
    assert reset["state"] == "closed" and reset["consecutive_failures"] == 0
    assert srv.translate("Hello.").status == 200
    bad = srv.admin("POST", "/admin/circuit-breaker/test", {"failures": "many"})
    assert bad.status == 422 and bad.json["field"] == "failures"
    assert srv.post("/admin/circuit-breaker/reset", {}).status == 403
