"""API tokens, the admin token, and per-token limits across workers and nodes."""

import os
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from support import ADMIN_TOKEN, Server, request


@pytest.fixture(scope="module")
def guarded(tiny_model, tmp_path_factory):
    # Failed logins are expected here; brute-force protection has tests of its own.
    srv = Server(tiny_model, tmp_path_factory.mktemp("guarded") / "server.log", WORKERS="3",
                 AUTH_FAILURE_LIMIT="100000").start()
    yield srv
    srv.stop()


def call(srv, token, path="/translate", headers=None):
    auth = {"Authorization": f"Bearer {token}"} if token is not None else {}
    if path == "/translate":
        return srv.post(path, {"text": "Hello.", "source_lang": "eng_Latn", "target_lang": "fra_Latn", "quality": "fast"},
                        token=None, headers={**auth, **(headers or {})})
    return srv.get(path, headers={**auth, **(headers or {})})


# Authentication.

def test_a_request_without_a_token_is_401_with_a_bearer_challenge(guarded):
    resp = call(guarded, None)
    assert resp.status == 401 and resp.json["error"] == "missing_token"
    assert resp.headers["www-authenticate"] == 'Bearer realm="nllb"'


@pytest.mark.parametrize("header", [
    "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc", "Bearer " + "x" * 200,
])
def test_malformed_authorization_headers_are_401(guarded, header):
    resp = guarded.post("/translate", {"text": "hi"}, token=None, headers={"Authorization": header})
    assert resp.status == 401 and resp.json["error"] == "invalid_authorization"


def test_non_ascii_garbage_in_the_header_is_401(guarded):
    head = (b"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer \xff\xfe\xc3\xa9t\r\nContent-Length: 2\r\nConnection: close\r\n\r\n")
    from support import send_raw
    resp = send_raw(guarded.port, head, b"{}")
    assert resp.status == 401


def test_an_unknown_token_is_401(guarded):
    resp = call(guarded, "nllb_" + "A" * 43)
    assert resp.status == 401 and resp.json["error"] == "invalid_token"


def test_a_user_token_on_an_admin_endpoint_is_403(guarded):
    resp = call(guarded, guarded.token, "/admin/tokens")
    assert resp.status == 403 and resp.json["error"] == "forbidden"


def test_the_admin_token_works_on_admin_endpoints_and_translate(guarded):
    assert call(guarded, ADMIN_TOKEN, "/admin/tokens").status == 200
    assert call(guarded, ADMIN_TOKEN).status == 200


# Token management.

def test_a_created_token_is_shown_once_with_a_recognisable_prefix(guarded):
    created = guarded.create_token("shown-once", description="CI runner").json
    token = created["token"]
    assert token.startswith("nllb_") and len(token) >= 5 + 43
    assert created["prefix"] == token[:9]
    listed = guarded.admin("GET", "/admin/tokens").json["tokens"]
    assert not any(token in str(entry) for entry in listed)
    one = guarded.admin("GET", f"/admin/tokens/{created['id']}").json
    assert "token" not in one and one["name"] == "shown-once" and one["description"] == "CI runner"
    assert call(guarded, token).status == 200


def test_duplicate_names_are_409_and_nothing_is_stored(guarded):
    guarded.create_token("twin")
    before = len(guarded.admin("GET", "/admin/tokens").json["tokens"])
    resp = guarded.admin("POST", "/admin/tokens", {"name": "twin"})
    assert resp.status == 409 and resp.json["error"] == "name_taken"
    assert len(guarded.admin("GET", "/admin/tokens").json["tokens"]) == before


@pytest.mark.parametrize("body, field", [
    ({"name": "x'; DROP TABLE tokens;--"}, "name"),
    ({"name": ""}, "name"),
    ({"name": "ok-name", "description": "bell\x07"}, "description"),
    ({"name": "ok-name2", "rate_limit": {"requests": 0, "window_seconds": 60}}, "rate_limit.requests"),
    ({"name": "ok-name3", "char_limit": {"characters": 10, "window_seconds": "60"}}, "char_limit.window_seconds"),
])
def test_bad_token_fields_are_422_naming_the_field(guarded, body, field):
    resp = guarded.admin("POST", "/admin/tokens", body)
    assert resp.status == 422 and resp.json["field"] == field


def test_sql_looking_descriptions_are_stored_verbatim(guarded):
    text = "Robert'); DROP TABLE tokens;-- «ünïcode» 日本"
    created = guarded.create_token("bobby", description=text).json
    assert guarded.admin("GET", f"/admin/tokens/{created['id']}").json["description"] == text
    assert guarded.admin("GET", "/admin/tokens").status == 200


def test_unknown_ids_are_404(guarded):
    for method, path in [("GET", "/admin/tokens/99999"), ("DELETE", "/admin/tokens/99999"),
                         ("POST", "/admin/tokens/99999/activate"), ("GET", "/admin/tokens/abc")]:
        resp = guarded.admin(method, path)
        assert resp.status == 404 and resp.json["error"] == "not_found", (method, path)


def test_revocation_reaches_every_worker_within_five_seconds_and_activation_undoes_it(guarded):
    created = guarded.create_token("revocable", rate_limit={"requests": 10**6, "window_seconds": 60}).json
    token = created["token"]
    client = {"X-Forwarded-For": "192.0.2.77"}
    for _ in range(12):  # warm every worker's cache with the token
        assert call(guarded, token, headers=client).status == 200
    assert guarded.admin("DELETE", f"/admin/tokens/{created['id']}").json["active"] is False
    revoked_at = time.monotonic()
    while time.monotonic() - revoked_at < 5:
        if {call(guarded, token, headers=client).status for _ in range(6)} == {401}:
            break
    assert time.monotonic() - revoked_at < 5
    guarded.admin("POST", f"/admin/tokens/{created['id']}/activate")
    time.sleep(2.5)
    statuses = [call(guarded, token, headers=client) for _ in range(12)]
    assert all(r.status == 200 for r in statuses), [(r.status, r.body[:80]) for r in statuses if r.status != 200]


def test_the_database_never_holds_a_token_in_plaintext(guarded):
    token = guarded.create_token("secret-keeper").json["token"]
    assert call(guarded, token).status == 200
    data_dir = os.path.join(guarded.env["DATA_DIR"])
    blobs = b"".join(open(os.path.join(data_dir, f), "rb").read() for f in os.listdir(data_dir) if f.startswith("nllb.db"))
    assert token.encode() not in blobs and token[5:].encode() not in blobs
    rows = sqlite3.connect(os.path.join(data_dir, "nllb.db")).execute("SELECT * FROM tokens").fetchall()
    assert rows and not any(token in str(row) for row in rows)


def test_the_cli_manages_tokens_without_the_server(guarded):
    env = {**guarded.env}
    run = lambda *args: subprocess.run([sys.executable, "-m", "nllb", "token", *args], env=env,
                                       capture_output=True, text=True)
    created = run("create", "from-cli", "--description", "made offline", "--rate-limit", "50/60")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("nllb_")
    assert call(guarded, token).status == 200
    listed = run("list").stdout
    assert "from-cli" in listed and token not in listed
    token_id = [line for line in listed.splitlines() if "from-cli" in line][0].split('"id": ')[1].split(",")[0]
    assert run("revoke", token_id).returncode == 0
    time.sleep(2.5)
    assert call(guarded, token, headers={"X-Forwarded-For": "192.0.2.78"}).status == 401
    assert run("revoke", "424242").returncode == 1


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_the_readme_token_one_liner_works_every_time_and_rotation_retires_the_old_secret(make_server, redis_server,
                                                                                          store):
    extra = {"TOKEN_STORE": "redis", "REDIS_URL": redis_server.url} if store == "redis" else {}
    srv = make_server(**extra).start()
    one_liner = "TOKEN=$(nllb token create demo || nllb token rotate demo); echo \"$TOKEN\""
    env = {**srv.env, "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}"}
    first, second = (subprocess.run(["bash", "-c", one_liner], env=env, capture_output=True, text=True).stdout.strip()
                     for _ in range(2))
    assert first.startswith("nllb_") and second.startswith("nllb_") and first != second
    time.sleep(2.5)  # past the workers' token cache
    assert call(srv, second).status == 200
    assert call(srv, first).status == 401


def test_the_cli_and_the_service_share_one_database_from_any_directory(make_server, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATA_DIR", "DB_PATH")}
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    srv = make_server(**{"DATA_DIR": ""}, XDG_DATA_HOME=env["XDG_DATA_HOME"]).start(token=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    created = subprocess.run([sys.executable, "-m", "nllb", "token", "create", "from-anywhere"], env=env,
                             cwd=elsewhere, capture_output=True, text=True)
    assert created.returncode == 0, created.stderr
    assert str(tmp_path / "xdg" / "nllb" / "nllb.db") in created.stderr
    assert call(srv, created.stdout.strip()).status == 200


# Rate limits.

def concurrent_calls(servers, token, count):
    barrier = threading.Barrier(count)

    def one(i):
        barrier.wait()
        return call(servers[i % len(servers)], token)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def test_a_limit_of_20_lets_exactly_20_of_60_concurrent_requests_through_four_workers(make_server):
    srv = make_server(WORKERS="4").start()
    token = srv.create_token("limited", rate_limit={"requests": 20, "window_seconds": 60}).json["token"]
    responses = concurrent_calls([srv], token, 60)
    assert sorted(r.status for r in responses).count(200) == 20
    refused = [r for r in responses if r.status == 429]
    assert len(refused) == 40
    for r in refused:
        assert r.json["error"] == "rate_limited"
        assert int(r.headers["retry-after"]) >= 1
        assert r.headers["ratelimit-remaining"] == "0" and r.headers["ratelimit-limit"] == "20"
    remaining = sorted(int(r.headers["ratelimit-remaining"]) for r in responses if r.status == 200)
    assert remaining == list(range(20))


def test_two_nodes_sharing_redis_let_exactly_20_through_in_total(make_server, redis_server):
    shared = {"REDIS_URL": redis_server.url, "TOKEN_STORE": "redis", "WORKERS": "2"}
    first = make_server(**shared).start()
    second = make_server(**shared).start(token=False)
    token = first.create_token("shared", rate_limit={"requests": 20, "window_seconds": 60}).json["token"]
    assert call(second, token).status == 200  # a token made on one node works on the other
    responses = concurrent_calls([first, second], token, 60)
    assert [r.status for r in responses].count(200) == 19


def test_the_character_budget_is_charged_per_character(make_server):
    srv = make_server().start()
    token = srv.create_token("chars", char_limit={"characters": 100, "window_seconds": 60}).json["token"]
    send = lambda text: srv.post("/translate", {"text": text, "source_lang": "eng_Latn", "target_lang": "fra_Latn",
                                                "quality": "fast"}, token=token)
    first = send(["a" * 30, "b" * 30])
    assert first.status == 200 and first.headers["x-character-remaining"] == "40"
    refused = send("c" * 50)
    assert refused.status == 429 and "character" in refused.json["message"]
    too_big = send("d" * 150)
    assert too_big.status == 429 and "150 characters" in too_big.json["message"]
    usage = srv.get("/usage", headers={"Authorization": f"Bearer {token}"}).json
    assert usage["token"]["name"] == "chars"
    assert usage["limits"]["characters"]["used"] == 60 and usage["limits"]["requests"]["used"] == 1


def test_rate_limiting_can_be_turned_off(make_server):
    srv = make_server(RATE_LIMIT_ENABLED="false").start()
    token = srv.create_token("free", rate_limit={"requests": 1, "window_seconds": 60}).json["token"]
    assert [call(srv, token).status for _ in range(3)] == [200, 200, 200]


# Brute force.

def test_repeated_failures_from_one_address_are_refused_at_once(make_server):
    srv = make_server(AUTH_FAILURE_LIMIT="6").start()
    attacker = {"X-Forwarded-For": "203.0.113.5"}  # the peer, 127.0.0.1, is a trusted proxy by default
    statuses, times = [], []
    for _ in range(8):
        started = time.monotonic()
        statuses.append(call(srv, "nllb_wrong", headers=attacker).status)
        times.append(time.monotonic() - started)
    assert statuses[:6] == [401] * 6 and statuses[-1] == 429
    assert max(times) < 0.3  # no failure holds a thread asleep
    assert call(srv, srv.token, headers=attacker).status == 429  # even a good token, from there
    assert call(srv, srv.token, headers={"X-Forwarded-For": "198.51.100.7"}).status == 200


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(make_server):
    srv = make_server(AUTH_FAILURE_LIMIT="3", TRUSTED_PROXIES="10.1.2.3").start()
    for i in range(5):
        call(srv, "nllb_wrong", headers={"X-Forwarded-For": f"192.0.2.{i}"})
    # All five came from 127.0.0.1, an untrusted peer: that address is locked out.
    assert call(srv, srv.token).status == 429


# The admin token's configuration.

@pytest.mark.parametrize("env, message", [
    ({"ADMIN_TOKEN": "admin-secret-change-me"}, "is a placeholder value"),
    ({"ADMIN_TOKEN": "short"}, "is too short"),
    ({"ADMIN_TOKEN": "a" * 40}, "is too repetitive"),
    ({"ADMIN_TOKEN": "", "ADMIN_TOKEN_FILE": "/nonexistent/admin"}, "cannot be read"),
])
def test_weak_or_broken_admin_token_configurations_are_refused_with_what_to_do(make_server, env, message):
    srv = make_server(**env).start(ready=False)
    assert srv.process.wait(30) != 0
    log = srv.log()
    assert message in log
    assert "ADMIN_TOKEN_FILE" in env or "secrets.token_urlsafe" in log  # says how to make a good one
    assert "Traceback" not in log


def test_without_an_admin_token_one_is_generated_privately(make_server, tmp_path):
    srv = make_server(ADMIN_TOKEN="")
    srv.start(token=False)
    path = os.path.join(srv.env["DATA_DIR"], "admin_token")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path in srv.log()
    generated = open(path).read().strip()
    assert request(srv.port, "GET", "/admin/tokens", headers={"Authorization": f"Bearer {generated}"}).status == 200
