"""Metrics, logs, request tracing and health, as an operator sees them."""

import json
import logging
import os
import signal
import threading
import time

import redis as redis_client
from prometheus_client.parser import text_string_to_metric_families
from support import ADMIN_TOKEN, RedisServer
from test_processes import wait_for

from nllb.logs import JsonFormatter, LineHandler


def scrape(srv) -> dict:
    """{(sample name, frozenset(labels)): value} from /metrics, through prometheus_client's parser."""
    resp = srv.get("/metrics")
    assert resp.status == 200 and resp.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(resp.body.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def log_lines(srv):
    return [json.loads(line) for line in srv.log().splitlines() if line.startswith("{")]


def test_counters_equal_exactly_what_a_known_mix_of_requests_did(make_server):
    srv = make_server(WORKERS="3").start()
    limited = srv.create_token("metered", rate_limit={"requests": 2, "window_seconds": 3600}).json["token"]
    ok_texts = ["Hello world.", ["One. Two.", "Three."], "Bonjour."]
    characters = 0
    for text in ok_texts * 3:  # 9 successes, spread over the workers
        source = "fra_Latn" if text == "Bonjour." else "eng_Latn"
        assert srv.translate(text, source, "deu_Latn", "fast").status == 200
        characters += sum(len(t) for t in ([text] if isinstance(text, str) else text))
    for _ in range(4):
        assert srv.translate("Hi.", "eng_Latn", "qqq_Zzzz").status == 422
    assert srv.translate("Hi.", "eng_Latn", "deu_Latn", "fast", token=limited).status == 200
    assert srv.translate("Hi.", "eng_Latn", "deu_Latn", "fast", token=limited).status == 200
    for _ in range(3):
        assert srv.translate("Hi.", "eng_Latn", "deu_Latn", "fast", token=limited).status == 429
    samples = scrape(srv)

    total = lambda **labels: value(samples, "translation_requests_total", **labels)
    assert total(status="200", source_lang="eng_Latn", target_lang="deu_Latn", cached="false") == 6 + 2
    assert total(status="200", source_lang="fra_Latn", target_lang="deu_Latn", cached="false") == 3
    assert total(status="422", source_lang="other", target_lang="other", cached="false") == 4
    assert total(status="429", source_lang="eng_Latn", target_lang="deu_Latn", cached="false") == 3
    assert value(samples, "rate_limit_exceeded_total", token_name="metered") == 3
    assert value(samples, "translation_latency_seconds_count", source_lang="eng_Latn", target_lang="deu_Latn",
                 quality="fast") == 8
    # Segments: "Hello world." 1, "One. Two." 2 + "Three." 1, "Bonjour." 1 → 5 a round, 3 rounds, and 2 × "Hi.".
    assert value(samples, "translation_segments_total") == 15 + 2
    assert value(samples, "translation_characters_total") == characters + 2 * len("Hi.")
    assert value(samples, "source_tokens_total") > 0 and value(samples, "target_tokens_total") > 0
    assert value(samples, "batch_size_sum") == 17  # every segment reached the device exactly once
    assert value(samples, "queue_wait_seconds_count") == 17
    assert value(samples, "batch_device_seconds_count") == value(samples, "batch_size_count") >= 1
    assert value(samples, "circuit_breaker_state") == 0
    assert value(samples, "model_loaded") == 1
    assert value(samples, "engine_restarts_total") == 0
    assert value(samples, "translation_queue_depth") == 0


def test_dead_workers_and_engines_leave_no_files_and_no_counter_goes_back(make_server, tmp_path):
    metrics_dir = tmp_path / "metrics"
    srv = make_server(WORKERS="2", PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)).start()
    for _ in range(6):
        assert srv.translate("Hello.", quality="fast").status == 200
    before = scrape(srv)
    victims = srv.workers()
    engine = srv.engines()[0]
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    os.kill(engine, signal.SIGKILL)
    assert wait_for(lambda: len(srv.workers()) == 2 and not set(srv.workers()) & set(victims))
    srv.wait_ready()
    assert wait_for(lambda: srv.engines() and srv.engines()[0] != engine)
    after = scrape(srv)
    for key in [k for k in before if k[0].endswith("_total") and k[0] != "engine_restarts_total"]:
        assert after.get(key, 0) >= before[key], key
    assert value(after, "engine_restarts_total") == 1
    # The files of the dead are gone: only live pids and the archives remain.
    pids = {int(name.rsplit("_", 1)[1][:-3]) for name in os.listdir(metrics_dir) if name.rsplit("_", 1)[1][:-3].isdigit()}
    assert not pids & (set(victims) | {engine})
    assert pids <= set(srv.workers()) | set(srv.engines())
    assert (metrics_dir / "counter_archive.db").exists()


def test_the_metrics_directory_is_emptied_at_start(make_server, tmp_path):
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_99999.db").write_bytes(b"stale")
    srv = make_server(PROMETHEUS_MULTIPROC_DIR=str(directory)).start()
    assert not (directory / "counter_99999.db").exists()
    assert srv.get("/metrics").status == 200


def test_one_request_id_follows_a_request_from_worker_to_engine(make_server):
    srv = make_server().start()
    resp = srv.translate("Hello world.", quality="fast", headers={"X-Request-ID": "trace-me-42"})
    assert resp.headers["x-request-id"] == "trace-me-42"
    time.sleep(0.3)
    lines = log_lines(srv)
    request = [l for l in lines if l.get("event") == "request" and l.get("request_id") == "trace-me-42"]
    assert len(request) == 1
    entry = request[0]
    assert entry["status"] == 200 and entry["token"] == "harness" and entry["segments"] == 1
    assert entry["cached_segments"] == 0 and entry["latency_ms"] > 0
    batches = [l for l in lines if l.get("event") == "batch" and "trace-me-42" in l["request_ids"]]
    assert len(batches) == 1 and batches[0]["pid"] != entry["pid"]


def test_logs_hold_no_secret_and_no_text_unless_asked(make_server):
    srv = make_server().start()
    srv.translate("Top secret sentence.", quality="fast")
    srv.translate("x", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    log = srv.log()
    assert srv.token not in log and ADMIN_TOKEN not in log
    assert "Top secret sentence" not in log
    talkative = make_server(LOG_TEXT="true").start()
    talkative.translate("Loggable sentence.", quality="fast")
    time.sleep(0.3)
    assert "Loggable sentence." in talkative.log()


def test_text_logs_for_people(make_server):
    srv = make_server(LOG_FORMAT="text").start()
    srv.translate("Hello.", quality="fast")
    time.sleep(0.3)
    line = [l for l in srv.log().splitlines() if "POST /translate 200" in l][0]
    assert not line.startswith("{") and "request_id=" in line and "status=200" in line


def test_readiness_reports_each_check_and_the_breaker(make_server):
    srv = make_server(CIRCUIT_BREAKER_TIMEOUT="60").start()
    ready = srv.get("/health/ready").json
    assert ready["checks"] == {"model_loaded": True, "engine_alive": True, "engine_responsive": True,
                               "circuit_closed": True, "queue_not_saturated": True, "token_store": True}
    srv.admin("POST", "/admin/circuit-breaker/test", {})
    not_ready = srv.get("/health/ready")
    assert not_ready.status == 503 and not_ready.json["checks"]["circuit_closed"] is False
    assert not_ready.json["reason"] == "the circuit breaker is open"
    assert value(scrape(srv), "circuit_breaker_state") == 1
    summary = srv.get("/health")
    assert summary.status == 503 and summary.json["circuit_breaker"] == "open"
    srv.admin("POST", "/admin/circuit-breaker/reset")
    assert srv.get("/health").json == {"status": "healthy", "model_loaded": True, "device": "cpu",
                                       "circuit_breaker": "closed", "queue_depth": 0}


def test_info_reports_versions_device_model_and_features_but_no_secret(make_server, tmp_path):
    redis = RedisServer(tmp_path, password="hunter2-secret").start()
    try:
        srv = make_server(REDIS_URL=redis.url).start()
        assert srv.translate("Hello.").status == 200
        assert redis_client.Redis.from_url(redis.url).keys("nllb:rl:*")  # the password works
        info = srv.get("/health/info")
    finally:
        redis.stop()
    assert info.status == 200
    body = info.json
    assert body["versions"]["nllb"] and body["versions"]["ctranslate2"]
    assert body["engine"]["device"] == "cpu" and body["engine"]["compute_type"] == "float32"
    assert len(body["model"]["fingerprint"]) == 16 and body["model"]["languages"] == 202
    assert body["model"]["synthetic"] == "tiny"
    assert body["rate_limiting"]["shared"] is True and body["workers"] == 2
    text = info.body.decode()
    assert ADMIN_TOKEN not in text and "hunter2" not in text and srv.token not in text


def test_metrics_can_require_the_admin_token(make_server):
    srv = make_server(METRICS_AUTH="admin").start()
    assert srv.get("/metrics").status == 401
    assert srv.admin("GET", "/metrics").status == 200


def test_log_lines_from_many_threads_come_out_whole_and_none_waits_on_a_lock_held_elsewhere():
    read, write = os.pipe()
    handler = LineHandler(write)
    handler.setFormatter(JsonFormatter())
    logger = logging.Logger("lines")
    logger.addHandler(handler)
    with handler.lock:  # what StreamHandler holds across its write; a blocked writer would hang here
        writers = [threading.Thread(target=lambda n=n: [logger.warning("line", extra={"fields": {"n": n, "i": i}})
                                                           for i in range(50)]) for n in range(8)]
        for thread in writers:
            thread.start()
        for thread in writers:
            thread.join(timeout=5)
        assert not any(thread.is_alive() for thread in writers)
    os.close(write)
    with os.fdopen(read) as lines:
        got = [json.loads(line) for line in lines]
    assert sorted((entry["n"], entry["i"]) for entry in got) == [(n, i) for n in range(8) for i in range(50)]
