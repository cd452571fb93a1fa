"""What one worker's app answers, in process (falcon.testing), with an engine that echoes its input.

The HTTP layer's own decisions: how a body becomes a domain request, how a translation and each
domain error become an answer, authentication, budgets and the probes. The same behaviours through
gunicorn and a real engine are in test_api.py, test_access.py and test_resilience.py.
"""

import socket
import time

import pytest

from nllb.ipc import EngineStatus
from nllb.translation import (
    CircuitOpen,
    ClientGone,
    DeadlineExceeded,
    DeviceFailed,
    EngineUnavailable,
    Overloaded,
    Untranslatable,
)
from nllb.translation import service as service_module


def test_a_text_comes_back_translated_with_its_languages_and_quality(app):
    token = app.create_token()
    resp = app.translate(token, "Hello world. How are you?", quality="fast")
    assert resp.status_code == 200
    body = resp.json
    assert body["translation"] == "Hello world. How are you?"  # the echo engine
    assert (body["source_lang"], body["target_lang"], body["quality"]) == ("eng_Latn", "fra_Latn", "fast")
    assert body["cached"] is False and body["cached_segments"] == 0
    assert body["device"] == "cpu" and "gibberish" in body["warning"]
    [job] = app.engine.jobs
    assert len(job) == 2 and job.beam_size == 1  # two sentences, greedy


def test_a_list_keeps_its_order_and_repeated_sentences_go_to_the_engine_once(app):
    token = app.create_token()
    texts = ["One. Two.", "", "Two.", "Three\n\nOne."]
    resp = app.translate(token, texts)
    assert resp.status_code == 200 and resp.json["translation"] == texts
    assert app.engine.segments == 3


def test_the_quality_chooses_the_beam_and_defaults_to_the_setting(make_app_with):
    app = make_app_with(DEFAULT_QUALITY="best")
    token = app.create_token()
    app.translate(token, "Hi.")
    app.translate(token, "Hi.", quality="balanced")
    assert [job.beam_size for job in app.engine.jobs] == [8, 4]


def test_the_deadline_counts_from_arrival_and_the_request_id_reaches_the_engine(app):
    token = app.create_token()
    arrived = time.monotonic() - 5  # it waited 5 s for a worker thread (nllb.frontend.worker)
    resp = app.client.simulate_post(
        "/translate", json={"text": "Hi.", "source_lang": "eng_Latn", "target_lang": "fra_Latn"},
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "trace-42"},
        extras={"nllb.arrived": arrived},
    )
    assert resp.status_code == 200 and resp.headers["x-request-id"] == "trace-42"
    [job] = app.engine.jobs
    assert job.request_id == "trace-42"
    assert job.deadline == arrived + app.settings.request_timeout_seconds


@pytest.mark.parametrize("failure, status, code, retry_after", [
    (EngineUnavailable("the engine is starting"), 503, "engine_unavailable", "5"),
    (Overloaded(), 503, "overloaded", "1"),
    (CircuitOpen(12.2), 503, "circuit_open", "13"),
    (DeviceFailed(), 503, "device_error", "5"),
    (DeadlineExceeded(), 504, "timeout", None),
    (Untranslatable(), 422, "untranslatable", None),
])
def test_each_domain_error_has_its_status_code_and_retry_after(app, failure, status, code, retry_after):
    token = app.create_token()
    app.engine.failure = failure
    resp = app.translate(token, "Hello.")
    assert resp.status_code == status
    assert resp.json["error"] == code and resp.json["request_id"]
    assert resp.headers.get("retry-after") == retry_after


def characters_translated(app, token: str) -> int:
    """The token's lifetime character count, as an admin sees it."""
    app.gate.flush_usage()
    [record] = [t for t in app.client.simulate_get("/admin/tokens", headers=app.admin).json["tokens"]
                if token.startswith(t["prefix"])]
    return record["usage"]["characters"]


def test_a_client_that_hung_up_is_logged_as_499_and_its_characters_not_counted_as_translated(app):
    token = app.create_token()
    app.engine.failure = ClientGone()
    assert app.translate(token, "Hello.").status_code == 499
    assert characters_translated(app, token) == 0


class ClientConnection:
    """Both ends of a real TCP connection; the server's end counts how often the app asks it whether the client left."""

    def __init__(self):
        with socket.create_server(("127.0.0.1", 0)) as listener:
            self.client = socket.create_connection(listener.getsockname())
            self.server, _ = listener.accept()
        self.asked = 0

    def recv(self, size: int, flags: int = 0) -> bytes:
        self.asked += 1
        return self.server.recv(size, flags)

    def close(self) -> None:
        self.client.close()
        self.server.close()


@pytest.fixture
def connection():
    conn = ClientConnection()
    yield conn
    conn.close()


def translate_on(app, connection: ClientConnection, token: str, texts: list[str]):
    body = {"text": texts, "source_lang": "eng_Latn", "target_lang": "fra_Latn"}
    return app.client.simulate_post("/translate", json=body, headers={"Authorization": f"Bearer {token}"},
                                    extras={"gunicorn.socket": connection})


def test_a_long_list_asks_whether_its_client_left_once_not_before_every_text(app, connection):
    resp = translate_on(app, connection, app.create_token(), [f"Sentence number {i}." for i in range(64)])
    assert resp.status_code == 200
    assert connection.asked == 1  # a system call each: 64 of them were ~0.2 of a cached 64-text request's time


def test_a_client_that_left_before_its_list_was_segmented_costs_no_translation(app, connection):
    connection.client.close()
    resp = translate_on(app, connection, app.create_token(), [f"Sentence number {i}." for i in range(64)])
    assert resp.status_code == 499
    assert app.engine.segments == 0


def test_characters_count_against_the_budget_when_asked_and_as_translated_when_done(app):
    token = app.create_token(char_limit={"characters": 100, "window_seconds": 3600})
    app.translate(token, ["Hello.", "Bye."])
    assert characters_translated(app, token) == len("Hello.") + len("Bye.")
    budgets = app.client.simulate_get("/usage", headers={"Authorization": f"Bearer {token}"}).json["limits"]
    assert budgets["characters"]["used"] == len("Hello.") + len("Bye.")


@pytest.mark.parametrize("body, status, code, field", [
    ({"text": "Hi", "source_lang": "eng_latn", "target_lang": "fra_Latn"}, 422, "unsupported_language", "source_lang"),
    ({"text": "Hi", "source_lang": "eng_Latn"}, 422, "validation_error", "target_lang"),
    ({"text": ["a", 3], "source_lang": "eng_Latn", "target_lang": "fra_Latn"}, 422, "validation_error", "text[1]"),
    ({"text": "Hi", "source_lang": "eng_Latn", "target_lang": "fra_Latn", "quality": "ok"},
     422, "validation_error", "quality"),
    ({"text": ["a"] * 5, "source_lang": "eng_Latn", "target_lang": "fra_Latn"}, 413, "too_many_texts", "text"),
    ({"text": "x" * 101, "source_lang": "eng_Latn", "target_lang": "fra_Latn"}, 413, "text_too_long", "text"),
])
def test_a_bad_body_names_its_field_and_never_reaches_the_engine(make_app_with, body, status, code, field):
    app = make_app_with(MAX_TEXTS="4", MAX_TEXT_CHARS="100")
    token = app.create_token()
    resp = app.client.simulate_post("/translate", json=body, headers={"Authorization": f"Bearer {token}"})
    assert (resp.status_code, resp.json["error"], resp.json["field"]) == (status, code, field)
    assert app.engine.jobs == []


def test_a_near_miss_language_gets_a_suggestion(app):
    token = app.create_token()
    resp = app.translate(token, "Hi", source="eng_latn")
    assert resp.json["suggestion"] == "eng_Latn"


@pytest.mark.parametrize("body, content_type, status, code", [
    (b"{", "application/json", 400, "invalid_json"),
    (b"\xff\xfe", "application/json", 400, "invalid_utf8"),
    (b'{"text": "Hi"}', "text/plain", 415, "unsupported_media_type"),
])
def test_a_body_that_is_not_json_is_refused_before_validation(app, body, content_type, status, code):
    token = app.create_token()
    resp = app.client.simulate_post("/translate", body=body, headers={
        "Authorization": f"Bearer {token}", "Content-Type": content_type})
    assert (resp.status_code, resp.json["error"]) == (status, code)


@pytest.mark.parametrize("authorization, code", [
    (None, "missing_token"),
    ("Basic dXNlcjpwYXNz", "invalid_authorization"),
    ("Bearer nllb_" + "x" * 43, "invalid_token"),
])
def test_translation_needs_a_valid_token(app, authorization, code):
    headers = {"Authorization": authorization} if authorization else {}
    resp = app.client.simulate_post("/translate", json={"text": "Hi"}, headers=headers)
    assert resp.status_code == 401 and resp.json["error"] == code
    assert resp.headers["www-authenticate"].startswith("Bearer")


def test_a_user_token_cannot_use_admin_endpoints(app):
    token = app.create_token()
    resp = app.client.simulate_get("/admin/tokens", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 403 and resp.json["error"] == "forbidden"


def test_a_token_over_its_request_budget_is_told_when_to_come_back(app):
    token = app.create_token("strict", rate_limit={"requests": 2, "window_seconds": 3600})
    assert [app.translate(token, "Hi.").status_code for _ in range(2)] == [200, 200]
    resp = app.translate(token, "Hi.")
    assert resp.status_code == 429 and resp.json["error"] == "rate_limited"
    assert int(resp.headers["retry-after"]) > 0 and resp.headers["ratelimit-remaining"] == "0"


def test_a_token_refused_a_moment_ago_is_refused_again_before_its_text_is_segmented(app, monkeypatch):
    token = app.create_token("strict", rate_limit={"requests": 1, "window_seconds": 3600})
    segmented = []
    segment = service_module.segment
    monkeypatch.setattr(service_module, "segment", lambda text, lang: segmented.append(text) or segment(text, lang))
    assert app.translate(token, "First.").status_code == 200
    assert app.translate(token, "Second.").status_code == 429  # prepared, then refused with its cache lookup
    assert app.translate(token, "Third.").status_code == 429
    assert segmented == ["First.", "Second."]


def test_a_request_refused_while_preparing_costs_one_request_and_none_of_its_characters(app):
    token = app.create_token("strict", rate_limit={"requests": 2, "window_seconds": 3600},
                             char_limit={"characters": 100, "window_seconds": 3600})
    refused = app.translate(token, "<p>Unclosed", format="xml")
    assert refused.status_code == 400 and refused.json["error"] == "invalid_markup"
    budgets = app.client.simulate_get("/usage", headers={"Authorization": f"Bearer {token}"}).json["limits"]
    assert budgets["requests"]["used"] == 1 and budgets["characters"]["used"] == 0
    assert app.translate(token, "Hi.").status_code == 200
    assert app.translate(token, "Hi.").status_code == 429


def test_admin_can_create_list_limit_and_deactivate_tokens(app):
    token = app.create_token("ci", description="CI runner")
    [record] = app.client.simulate_get("/admin/tokens", headers=app.admin).json["tokens"]
    assert record["name"] == "ci" and "token" not in record and record["prefix"] == token[:len(record["prefix"])]
    path = f"/admin/tokens/{record['id']}"
    limited = app.client.simulate_patch(path, json={"rate_limit": {"requests": 5, "window_seconds": 60}},
                                        headers=app.admin)
    assert limited.status_code == 200 and limited.json["limits"]["requests"] == 5
    assert app.client.simulate_delete(path, headers=app.admin).json["active"] is False
    assert app.translate(token, "Hi.").status_code == 401


@pytest.mark.parametrize("body, field", [
    ({"name": "ok", "rate_limit": {"requests": 0, "window_seconds": 60}}, "rate_limit.requests"),
    ({"name": "ok", "char_limit": "lots"}, "char_limit"),
    ({"name": "no spaces"}, "name"),
    ([], "body"),
])
def test_admin_bodies_are_checked_and_name_their_field(app, body, field):
    resp = app.client.simulate_post("/admin/tokens", json=body, headers=app.admin)
    assert resp.status_code == 422 and resp.json["field"] == field


def test_readiness_follows_the_engine_and_the_breaker(app):
    assert app.client.simulate_get("/health/ready").status_code == 200
    app.breaker.failed("simulated")
    for _ in range(app.settings.circuit_breaker_threshold):
        app.breaker.failed("simulated")
    resp = app.client.simulate_get("/health/ready")
    assert resp.status_code == 503 and resp.json["checks"]["circuit_closed"] is False
    app.breaker.reset()
    app.state.set_down("killed by a test")
    resp = app.client.simulate_get("/health/ready")
    assert resp.status_code == 503 and "killed by a test" in resp.json["reason"]
    assert app.state.status == EngineStatus.DOWN


def test_every_answer_carries_a_request_id_and_its_time(app):
    resp = app.client.simulate_get("/nowhere", headers={"X-Request-ID": "bad id with spaces"})
    assert resp.status_code == 404 and resp.json["error"] == "not_found"
    assert resp.headers["x-request-id"] == resp.json["request_id"] != "bad id with spaces"
    assert resp.headers["x-response-time"].endswith("ms")
