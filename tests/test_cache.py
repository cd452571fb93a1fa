"""The per-segment cache: hits skip the device, and Redis trouble never fails a request."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis as redis_client
from support import RedisServer, Server
from test_observability import scrape, value
from test_processes import wait_for

from nllb.redisconn import FIRST_BACKOFF_SECONDS, connect
from nllb.tools.synthetic import write_model
from nllb.translation.cache import TranslationCache


def device_segments(srv) -> float:
    return value(scrape(srv), "batch_size_sum")


def device_segments_reach(srv, count: int) -> bool:
    """The engine counts a batch just after writing its answers: a client can be answered a moment before."""
    return wait_for(lambda: device_segments(srv) == count, timeout=5)


@pytest.fixture
def cached(make_server, redis_server):
    return make_server(REDIS_URL=redis_server.url, WORKERS="2").start()


def test_a_miss_is_translated_and_stored_and_a_hit_skips_the_device(cached):
    first = cached.translate("Hello world. How are you?", quality="fast")
    assert first.json["cached"] is False and first.json["cached_segments"] == 0
    assert device_segments_reach(cached, 2)
    second = cached.translate("Hello world. How are you?", quality="fast")
    assert second.json["cached"] is True and second.json["cached_segments"] == 2
    assert second.json["translation"] == first.json["translation"]
    assert device_segments(cached) == 2  # nothing new reached the engine


def test_a_partial_hit_sends_only_the_missing_segments_to_the_engine(cached):
    cached.translate(["Hello world.", "Good night."], quality="fast")
    assert device_segments_reach(cached, 2)
    resp = cached.translate(["Hello world.", "New sentence here.", "Good night."], quality="fast").json
    assert resp["cached"] is False and resp["cached_segments"] == 2
    assert device_segments_reach(cached, 3)
    uncached = cached.translate(["New sentence here."], quality="balanced").json  # other decoding options
    assert uncached["cached_segments"] == 0


def commands_run(redis_server) -> dict[str, int]:
    stats = redis_client.Redis.from_url(redis_server.url).info("commandstats")
    return {name.removeprefix("cmdstat_"): entry["calls"] for name, entry in stats.items()}


@pytest.mark.parametrize("rate_limits, command", [("true", "evalsha"), ("false", "mget")])
def test_a_cached_request_costs_one_redis_round_trip(make_server, redis_server, rate_limits, command):
    srv = make_server(REDIS_URL=redis_server.url, RATE_LIMIT_ENABLED=rate_limits).start()
    srv.translate("Hello world. How are you?", quality="fast")  # a miss: translated, then stored
    before = commands_run(redis_server)
    for _ in range(5):
        assert srv.translate("Hello world. How are you?", quality="fast").json["cached"] is True
    after = commands_run(redis_server)
    sent = {name: calls - before.get(name, 0) for name, calls in after.items() if calls != before.get(name, 0)}
    # With limits in Redis, the cache entries are read inside the rate-limit script (its GET, SET and TIME);
    # connections say hello and are pinged when new, and this test asks for INFO.
    not_requests = {"get", "set", "time", "hello", "ping", "client|setinfo", "info"}
    assert {name: calls for name, calls in sent.items() if name not in not_requests} == {command: 5}


def test_a_refused_write_leaves_no_answer_behind_for_the_next_read(redis_server):
    cache = TranslationCache(connect(redis_server.url), "fingerprint", 60, "fast")
    other = redis_client.Redis.from_url(redis_server.url)
    known = cache.key("Hello.", "eng_Latn", "fra_Latn", 1)
    other.set(known, "Bonjour.".encode())
    other.config_set("maxmemory", 1)  # Redis out of memory: every write is refused, reads still answered
    cache.set_many({cache.key(text, "eng_Latn", "fra_Latn", 1): text for text in ("One.", "Two.", "Three.")})
    assert not cache.connected
    other.config_set("maxmemory", 0)
    time.sleep(FIRST_BACKOFF_SECONDS + 0.1)
    # Three refusals came back for one write; a connection reused with any of them unread would answer this read.
    assert cache.get_many([known, cache.key("One.", "eng_Latn", "fra_Latn", 1)]) == ["Bonjour.", None]


def test_keys_separate_languages_and_options_and_live_under_one_namespace(cached, redis_server):
    cached.translate("Hello.", "eng_Latn", "fra_Latn", "fast")
    cached.translate("Hello.", "eng_Latn", "deu_Latn", "fast")
    cached.translate("Hello.", "eng_Latn", "fra_Latn", "best")
    keys = redis_client.Redis.from_url(redis_server.url).keys("*")
    ours = [k for k in keys if k.startswith(b"nllb:tr:")]
    assert len(ours) == 3


def test_entries_expire_after_the_ttl(make_server, redis_server):
    srv = make_server(REDIS_URL=redis_server.url, CACHE_TTL_SECONDS="1").start()
    srv.translate("Hello.", quality="fast")
    assert srv.translate("Hello.", quality="fast").json["cached"] is True
    time.sleep(1.6)
    assert srv.translate("Hello.", quality="fast").json["cached"] is False


def test_another_model_never_gets_this_models_entries(make_server, redis_server, tmp_path):
    first = make_server(REDIS_URL=redis_server.url).start()
    other_model = write_model("tiny", tmp_path / "other", seed=1)
    second = Server(other_model, tmp_path / "second.log", REDIS_URL=redis_server.url).start()
    try:
        a = first.translate("Hello world.", quality="fast").json
        b = second.translate("Hello world.", quality="fast").json
        assert b["cached"] is False and b["translation"] != a["translation"]
        assert second.translate("Hello world.", quality="fast").json["translation"] == b["translation"]
    finally:
        second.stop()


def test_clearing_removes_only_this_services_keys(cached, redis_server):
    foreign = redis_client.Redis.from_url(redis_server.url)
    foreign.set("someone-else:session", "keep me")
    cached.translate(["One.", "Two.", "Three."], quality="fast")
    cleared = cached.admin("DELETE", "/admin/cache")
    assert cleared.status == 200 and cleared.json["deleted"] == 3
    assert foreign.get("someone-else:session") == b"keep me"
    assert cached.translate("One.", quality="fast").json["cached"] is False


def test_stats_report_keys_memory_hits_and_ratio(cached):
    cached.translate(["One.", "Two."], quality="fast")
    cached.translate(["One.", "Two."], quality="fast")
    stats = cached.admin("GET", "/admin/cache/stats").json
    assert stats["keys"] == 2 and stats["hits"] == 2 and stats["misses"] == 2
    assert stats["hit_ratio"] == 0.5 and stats["server_used_memory_bytes"] > 0
    assert cached.get("/admin/cache/stats").status == 401


def test_without_redis_the_service_runs_uncached_and_says_so(make_server):
    srv = make_server().start()
    assert srv.translate("Hello.").json["cached"] is False
    info = srv.get("/health/info").json["cache"]
    assert info["enabled"] is False and "REDIS_URL" in info["reason"]
    assert srv.admin("DELETE", "/admin/cache").status == 404


def test_a_redis_password_in_the_url_works(make_server, tmp_path):
    redis = RedisServer(tmp_path, password="s3cret-pass").start()
    try:
        srv = make_server(REDIS_URL=redis.url).start()
        srv.translate("Hello.", quality="fast")
        assert srv.translate("Hello.", quality="fast").json["cached"] is True
    finally:
        redis.stop()


def test_redis_over_its_unix_socket_holds_the_tokens_the_cache_and_the_limits_of_two_nodes(make_server, tmp_path):
    redis = RedisServer(tmp_path, unix_socket=True).start()
    try:
        shared = {"REDIS_URL": redis.socket_url, "TOKEN_STORE": "redis"}
        first = make_server(**shared).start()
        second = make_server(**shared).start(token=False)
        token = first.create_token("over-socket", rate_limit={"requests": 3, "window_seconds": 60}).json["token"]
        miss = first.translate("Hello world.", quality="fast", token=token)
        hit = second.translate("Hello world.", quality="fast", token=token)  # a token made on the other node
        assert miss.status == hit.status == 200
        assert hit.json["cached"] is True and hit.json["translation"] == miss.json["translation"]
        assert first.translate("Good night.", quality="fast", token=token).status == 200
        refused = second.translate("Good night.", quality="fast", token=token)  # the 4th of 3, across the nodes
        assert refused.status == 429 and refused.json["error"] == "rate_limited"
    finally:
        redis.stop()


def test_redis_dying_mid_run_fails_no_request_and_caching_resumes_when_it_returns(make_server, redis_server):
    srv = make_server(REDIS_URL=redis_server.url, WORKERS="2", THREADS="4").start()
    texts = [f"Sentence number {i}." for i in range(12)]
    expected = {t: srv.translate(t, quality="fast").json["translation"] for t in texts}
    stop = threading.Event()
    outcomes = []

    def client(i):
        n = i
        while not stop.is_set():
            text = texts[n % len(texts)]
            n += 1
            resp = srv.translate(text, quality="fast", timeout=30)
            outcomes.append((resp.status, resp.json.get("error"), resp.json.get("translation") == expected[text]))

    with ThreadPoolExecutor(max_workers=8) as pool:
        for i in range(8):
            pool.submit(client, i)
        time.sleep(1)
        redis_server.stop()
        time.sleep(2)
        assert srv.get("/health/ready").status == 200
        assert srv.get("/health/info").json["cache"]["connected"] is False
        stop.set()
    failed = [outcome for outcome in outcomes if outcome != (200, None, True)]
    assert len(outcomes) > 50 and not failed, failed[:5]
    redis_server.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        srv.translate("Back again.", quality="fast")
        if srv.translate("Back again.", quality="fast").json["cached"]:
            break
        time.sleep(0.5)
    else:
        pytest.fail("caching did not resume after Redis came back")
    assert srv.get("/health/info").json["cache"]["connected"] is True
