"""What an attacker or a failing machine tries: no request costs more than its budget, no failure goes unreported."""

import json
import os
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from support import request

from nllb.translation.segmentation import segment

HELLO = {"text": "Hello.", "source_lang": "eng_Latn", "target_lang": "fra_Latn", "quality": "fast"}


def worker_rss_kib(srv) -> int:
    return max(int(line.split()[1]) for pid in srv.workers()
               for line in open(f"/proc/{pid}/status") if line.startswith("VmRSS:"))


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


# Validation costs little, however large or deep the body.

def test_a_huge_list_is_refused_at_once_without_growing_the_worker(server):
    before = worker_rss_kib(server)
    for items in ([0] * 1_000_000, [""] * 1_000_000):
        body = json.dumps({"text": items, "source_lang": "eng_Latn", "target_lang": "fra_Latn"}).encode()
        resp, took = timed(lambda: server.post("/translate", raw=body))
        assert resp.status == 413 and resp.json["error"] == "too_many_texts", resp.body
        assert took < 2
    assert worker_rss_kib(server) - before < 150_000


def test_a_list_with_a_wrong_item_names_it(server):
    resp = server.post("/translate", {"text": ["ok", "fine", 7], "source_lang": "eng_Latn", "target_lang": "fra_Latn"})
    assert resp.status == 422 and resp.json["field"] == "text[2]"


@pytest.mark.parametrize("field", ["text", "source_lang", "quality"])
def test_deeply_nested_json_is_a_validation_error_not_a_500(server, field):
    nested = "[" * 1000 + "]" * 1000
    body = json.dumps({**HELLO, field: "__nested__"}).replace('"__nested__"', nested).encode()
    resp = server.post("/translate", raw=body)
    assert resp.status == 422, resp.body
    assert resp.json["error"] == "validation_error" and resp.json["field"].startswith(field)


def test_json_nested_beyond_the_parser_limit_is_invalid_json(server):
    resp = server.post("/translate", raw=b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    assert resp.status == 400 and resp.json["error"] == "invalid_json"


def test_refused_requests_count_toward_the_token_rate_limit(make_server):
    srv = make_server().start()
    token = srv.create_token("strict", rate_limit={"requests": 3, "window_seconds": 3600}).json["token"]
    for _ in range(3):
        assert srv.post("/translate", {"text": [1]}, token=token).status == 422
    resp = srv.post("/translate", HELLO, token=token)
    assert resp.status == 429 and resp.json["error"] == "rate_limited"


# Segmentation is linear in the text, and stops when its deadline passes.

def test_sentence_splitting_takes_time_in_proportion_to_the_text():
    text = "a. " * 6666
    segmented, took = timed(lambda: segment(text, "eng_Latn"))
    assert took < 1.5  # 6.8 s when pysbd read the whole line at once
    assert len(segmented.sentences) == 6666 and "".join(segmented.parts) == text


def test_segmenting_a_long_request_stops_at_its_deadline(make_server):
    srv = make_server(REQUEST_TIMEOUT_SECONDS="1").start()
    texts = ["a. " * 6666] * 40
    resp, took = timed(lambda: srv.post("/translate", {**HELLO, "text": texts}, timeout=120))
    assert resp.status == 504 and resp.json["error"] == "timeout"
    assert took < 5


# The device: no request holds it long, and no work starts that would end past its deadline.

def teach_the_cost_model(srv):
    """Batches of a few shapes, so the engine knows what long beam-search batches cost."""
    srv.translate("A short one.", quality="best")
    srv.translate("y" + "cd" * 300, quality="best")
    srv.translate(["y" + "cd" * 300, "z" + "ef" * 300], quality="best")


def test_a_long_request_does_not_hold_back_a_short_one(make_server):
    srv = make_server(REQUEST_TIMEOUT_SECONDS="20", MAX_BATCH_SECONDS="0.5").start()
    teach_the_cost_model(srv)
    long_word = {**HELLO, "text": "x" + "ab" * 9_999, "quality": "best"}
    slow = threading.Thread(target=lambda: srv.post("/translate", long_word, timeout=120))
    slow.start()
    time.sleep(1)
    resp, took = timed(lambda: srv.translate("A short sentence.", quality="best"))
    assert resp.status == 200
    assert took < 5
    slow.join()


def test_a_request_past_its_deadline_leaves_nothing_running_on_the_device(make_server):
    srv = make_server(REQUEST_TIMEOUT_SECONDS="2", MAX_BATCH_SECONDS="0.3").start()
    teach_the_cost_model(srv)
    started = time.monotonic()
    resp = srv.post("/translate", {**HELLO, "text": "x" + "ab" * 9_999, "quality": "best"}, timeout=120)
    assert resp.status == 504
    assert time.monotonic() - started < 4
    # The device is free again at once: nothing of the refused request runs on.
    resp, took = timed(lambda: srv.translate("Hello.", quality="fast"))
    assert resp.status == 200 and took < 2


# Authentication failures never hold a thread.

def test_failed_authentications_are_answered_at_once_and_locked_out(make_server):
    srv = make_server(AUTH_FAILURE_LIMIT="20").start()
    bad = {"Authorization": "Basic x", "X-Forwarded-For": "203.0.113.9", "Content-Type": "application/json"}
    times, statuses = [], []
    for _ in range(25):
        resp, took = timed(lambda: request(srv.port, "POST", "/translate", json.dumps(HELLO).encode(), bad))
        statuses.append(resp.status)
        times.append(took)
    assert statuses[:20] == [401] * 20 and set(statuses[20:]) == {429}
    assert max(times) < 0.3


# A wedged engine is noticed, reported and replaced.

def test_a_stopped_engine_is_reported_failed_fast_and_replaced(make_server):
    srv = make_server(ENGINE_STALL_SECONDS="1").start()
    [engine] = srv.engines()
    os.kill(engine, signal.SIGSTOP)
    try:
        time.sleep(1.2)
        ready = srv.get("/health/ready")
        assert ready.status == 503, ready.body
        resp, took = timed(lambda: srv.translate("Hello.", quality="fast"))
        assert resp.status == 503 and resp.json["error"] == "engine_unavailable"
        assert took < 3
        deadline = time.monotonic() + 60
        while srv.engines() == [engine] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert srv.engines() != [engine], "the wedged engine was not replaced"
        assert "wedged" in srv.log()
        srv.wait_ready(60)
        assert srv.translate("Hello.", quality="fast").status == 200
    finally:
        try:
            os.kill(engine, signal.SIGKILL)
        except ProcessLookupError:
            pass


# Overload: refused at once, or answered within the deadline counted from arrival.

def test_a_burst_that_cannot_be_served_in_time_is_refused_at_once(make_server):
    srv = make_server(WORKERS="1", THREADS="2", REQUEST_TIMEOUT_SECONDS="3").start()
    long_word = {**HELLO, "text": "x" + "ab" * 9_999, "quality": "best"}
    results = []

    def call():
        started = time.monotonic()
        resp = srv.post("/translate", long_word, timeout=120)
        results.append((resp, time.monotonic() - started))

    clients = [threading.Thread(target=call) for _ in range(30)]
    for client in clients:
        client.start()
        time.sleep(0.1)
    for client in clients:
        client.join()
    assert {resp.status for resp, _ in results} <= {200, 503, 504}
    assert max(took for _, took in results) < 6
    shed = [resp for resp, _ in results if resp.status == 503]
    assert shed and all(r.json["error"] == "overloaded" and r.headers["retry-after"] == "1" for r in shed)


# The token database: faults are 503s that heal, never 500s, and never slow translations.

def database_of(srv) -> Path:
    return Path(srv.env["DATA_DIR"]) / "nllb.db"


def test_a_locked_token_database_is_a_clear_503_and_does_not_slow_translations(make_server):
    srv = make_server().start()
    locker = sqlite3.connect(database_of(srv), isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        resp, took = timed(lambda: srv.admin("POST", "/admin/tokens", {"name": "while-locked"}))
        assert resp.status == 503 and resp.json["error"] == "token_store_unavailable", resp.body
        assert resp.headers["retry-after"] == "5" and took < 4
        for _ in range(8):  # across the token cache's lifetime and a usage flush
            resp, took = timed(lambda: srv.translate("Hello.", quality="fast"))
            assert resp.status == 200 and took < 1
            time.sleep(0.5)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert srv.admin("POST", "/admin/tokens", {"name": "after-the-lock"}).status == 201


def test_a_token_database_deleted_while_running_is_reported_and_a_restored_one_used(make_server, tmp_path):
    srv = make_server().start()
    path = database_of(srv)
    revoked = srv.create_token("revoked-before").json
    assert srv.admin("DELETE", f"/admin/tokens/{revoked['id']}").status == 200
    backup = tmp_path / "backup.db"
    with sqlite3.connect(path) as source, sqlite3.connect(backup) as copy:
        source.backup(copy)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    ready = srv.get("/health/ready")
    assert ready.status == 503 and ready.json["checks"]["token_store"] is False
    assert "deleted" in ready.json["reason"]
    time.sleep(2.1)  # past the workers' token cache
    refused = srv.translate("Hello.", quality="fast", token=revoked["token"])
    assert refused.status == 503 and refused.json["error"] == "auth_unavailable"
    shutil.copy(backup, path)
    assert srv.get("/health/ready").status == 200
    assert srv.translate("Hello.", quality="fast", token=revoked["token"]).status == 401
    assert srv.translate("Hello.", quality="fast").status == 200


# Slow clients pin no thread.

def test_clients_sending_their_headers_a_byte_at_a_time_hold_up_nobody(make_server):
    srv = make_server(HEADER_TIMEOUT_SECONDS="3").start()  # 2 workers x 4 threads
    stop = threading.Event()

    def slowloris():
        with socket.create_connection(("127.0.0.1", srv.port)) as sock:
            for byte in b"POST /translate HTTP/1.1\r\nHost: nllb\r\nContent-Type: application/json\r\n":
                if stop.is_set():
                    return
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.2)

    attackers = [threading.Thread(target=slowloris) for _ in range(32)]
    for attacker in attackers:
        attacker.start()
    try:
        time.sleep(1)
        for _ in range(5):
            resp, took = timed(lambda: srv.translate("Hello.", quality="fast", timeout=30))
            assert resp.status == 200 and took < 1
        with socket.create_connection(("127.0.0.1", srv.port)) as sock:
            sock.sendall(b"GET /health/live HTTP/1.1\r\n")
            sock.settimeout(10)
            answer, took = timed(lambda: sock.recv(4096))
        assert answer.startswith(b"HTTP/1.1 408") and b'"error": "request_timeout"' in answer.replace(b'":"', b'": "')
        assert took < 4.5
    finally:
        stop.set()
        for attacker in attackers:
            attacker.join()


# Nothing is left behind.

def metrics_dirs_of(pid: int) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"nllb-metrics-{pid}-*"))


def test_a_killed_master_leaves_metrics_that_the_next_start_removes(make_server):
    first = make_server().start(token=False)
    assert metrics_dirs_of(first.pid)
    os.killpg(first.pid, signal.SIGKILL)
    first.process.wait()
    assert metrics_dirs_of(first.pid)  # a killed master cleans up nothing itself
    make_server().start(token=False)
    assert not metrics_dirs_of(first.pid)


def test_a_start_that_fails_on_its_configuration_leaves_nothing(make_server):
    before = set(Path(tempfile.gettempdir()).glob("nllb-metrics-*"))
    srv = make_server(ADMIN_TOKEN="admin-secret-change-me").start(ready=False)
    assert srv.process.wait(30) != 0
    assert "admin" in srv.log().lower()
    assert set(Path(tempfile.gettempdir()).glob("nllb-metrics-*")) <= before


def test_more_workers_and_threads_than_open_files_allow_is_refused_with_the_figures(make_server):
    srv = make_server(WORKERS="2", THREADS="256")
    limit = (600, 600)  # 4 worker slots x (256 eventfds + a pipe) need over 1,000
    started = subprocess.run([sys.executable, "-m", "nllb", "serve"], env=srv.env, capture_output=True, text=True,
                             timeout=60, preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, limit))
    assert started.returncode != 0
    assert "Traceback" not in started.stderr
    assert "THREADS=256" in started.stderr and "600" in started.stderr


def test_tls_in_gunicorn_itself_is_refused_at_start_rather_than_hanging_every_request(make_server):
    # The worker's main loop reads request heads from the raw socket, before a thread would do the TLS
    # handshake: with --certfile every HTTPS client got a plain-text 408 after the header timeout, and a
    # plain-HTTP client hung.
    srv = make_server(GUNICORN_CMD_ARGS="--certfile=/etc/nllb/cert.pem --keyfile=/etc/nllb/key.pem")
    started = subprocess.run([sys.executable, "-m", "nllb", "serve"], env=srv.env, capture_output=True, text=True,
                             timeout=60)
    assert started.returncode != 0
    assert "Traceback" not in started.stderr
    assert "TLS" in started.stderr and "nginx" in started.stderr


@pytest.mark.parametrize("argument, settings, named", [
    ("--threads 8", {"THREADS": "4"}, "THREADS=4"),
    ("--workers 3", {"WORKERS": "2"}, "WORKERS=2"),
    ("--worker-class sync", {"THREADS": "4"}, "THREADS=4"),
])
def test_gunicorn_sizing_given_beside_nllbs_settings_is_refused_at_start(make_server, argument, settings, named):
    # These started before: threads beyond THREADS waited on a request slot with no deadline, a worker
    # beyond WORKER_SLOTS had none, and the sync worker dropped the head collector.
    srv = make_server(GUNICORN_CMD_ARGS=argument, **settings)
    started = subprocess.run([sys.executable, "-m", "nllb", "serve"], env=srv.env, capture_output=True, text=True,
                             timeout=60)
    assert started.returncode != 0
    assert "Traceback" not in started.stderr
    assert argument in started.stderr and named in started.stderr


def test_gunicorn_preload_is_refused_with_a_message_that_names_it(make_server):
    # Before, the app failed to build in the master and only said to start it with `nllb serve`, which it was.
    srv = make_server(GUNICORN_CMD_ARGS="--preload")
    started = subprocess.run([sys.executable, "-m", "nllb", "serve"], env=srv.env, capture_output=True, text=True,
                             timeout=60)
    assert started.returncode != 0
    assert "Traceback" not in started.stderr
    assert "without --preload" in started.stderr
