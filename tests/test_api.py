"""POST /translate, GET /languages and the probes, as a client sees them."""

import json

import pytest
from support import send_raw


def test_translates_a_string_into_a_string(server):
    resp = server.translate("Hello world.", "eng_Latn", "fra_Latn", "fast")
    assert resp.status == 200
    body = resp.json
    assert isinstance(body["translation"], str) and body["translation"]
    assert body["source_lang"] == "eng_Latn"
    assert body["target_lang"] == "fra_Latn"
    assert body["device"] == "cpu"
    assert body["cached"] is False
    assert body["quality"] == "fast"
    assert "gibberish" in body["warning"]


def test_a_list_of_texts_gives_a_list_in_the_same_order(server):
    texts = ["Hello world.", "The weather is nice today.", "Good night."]
    singles = [server.translate(t, quality="fast").json["translation"] for t in texts]
    listed = server.translate(texts, quality="fast").json["translation"]
    assert listed == singles


def test_quality_defaults_to_balanced(server):
    assert server.translate("Hello.").json["quality"] == "balanced"


def test_empty_and_blank_texts_come_back_unchanged(server):
    resp = server.translate(["", "   ", "\n\n"])
    assert resp.status == 200
    assert resp.json["translation"] == ["", "   ", "\n\n"]


def test_line_structure_and_separators_are_kept(server):
    text = "  First line. Second sentence!\n\n\tIndented line.\r\nLast"
    out = server.translate(text, quality="fast").json["translation"]
    assert out.startswith("  ")
    assert "\n\n\t" in out and "\r\n" in out
    assert out.count("\n") == text.count("\n")


def test_json_is_returned_with_non_ascii_unescaped(server):
    resp = server.translate("Hello.", "eng_Latn", "zho_Hans", "fast")
    assert resp.headers["content-type"].startswith("application/json")
    assert b"\\u" not in resp.body


def test_languages_lists_every_language_of_the_model(server):
    body = server.get("/languages").json
    assert body["count"] == 202 == len(body["languages"])
    by_code = {lang["code"]: lang for lang in body["languages"]}
    assert by_code["ukr_Cyrl"] == {"code": "ukr_Cyrl", "name": "Ukrainian", "script": "Cyrillic"}
    assert by_code["zho_Hant"]["script"] == "Han (Traditional)"


def test_probes(server):
    assert server.get("/health/live").json == {"status": "alive"}
    ready = server.get("/health/ready")
    assert ready.status == 200
    assert ready.json["status"] == "ready" and ready.json["model_loaded"] is True


def test_request_id_is_kept_when_valid_and_made_otherwise(server):
    kept = server.translate("Hi.", headers={"X-Request-ID": "client-42.a"})
    assert kept.headers["x-request-id"] == "client-42.a"
    made = server.translate("Hi.", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert len(made.headers["x-request-id"]) == 32
    assert made.headers["x-response-time"].endswith("ms")


# Bad input: a clear JSON error with a stable code, never a 500.

def error_of(resp, status):
    assert resp.status == status, resp.body
    body = resp.json
    assert set(body) >= {"error", "message", "request_id"}
    assert body["request_id"] == resp.headers["x-request-id"]
    assert "Traceback" not in resp.body.decode()
    return body


def test_invalid_json_is_400(server):
    assert error_of(server.post("/translate", raw=b'{"text": '), 400)["error"] == "invalid_json"


def test_invalid_utf8_is_400(server):
    assert error_of(server.post("/translate", raw=b'{"text": "\xff"}'), 400)["error"] == "invalid_utf8"


def test_lone_surrogate_is_400(server):
    raw = b'{"text": "a\\ud800b", "source_lang": "eng_Latn", "target_lang": "fra_Latn"}'
    body = error_of(server.post("/translate", raw=raw), 400)
    assert body["error"] == "invalid_text" and body["field"] == "text"


def test_wrong_content_type_is_415(server):
    resp = server.post("/translate", raw=b"text=hi", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert error_of(resp, 415)["error"] == "unsupported_media_type"


@pytest.mark.parametrize("payload, field", [
    ({"source_lang": "eng_Latn", "target_lang": "fra_Latn"}, "text"),
    ({"text": 5, "source_lang": "eng_Latn", "target_lang": "fra_Latn"}, "text"),
    ({"text": ["ok", 5], "source_lang": "eng_Latn", "target_lang": "fra_Latn"}, "text[1]"),
    ({"text": "hi", "source_lang": "eng_Latn"}, "target_lang"),
    ({"text": "hi", "source_lang": "eng_Latn", "target_lang": {}}, "target_lang"),
    ({"text": "hi", "source_lang": ["eng_Latn"], "target_lang": "fra_Latn"}, "source_lang"),
    ({"text": "hi", "source_lang": "eng_Latn", "target_lang": "fra_Latn", "quality": "perfect"}, "quality"),
    ([1, 2], "body"),
])
def test_missing_or_mistyped_fields_are_422_naming_the_field(server, payload, field):
    body = error_of(server.post("/translate", payload), 422)
    assert body["error"] == "validation_error"
    assert body["field"] == field


def test_without_source_lang_the_language_is_to_be_identified_and_this_server_has_no_model_for_it(server):
    body = error_of(server.post("/translate", {"text": "hi", "target_lang": "fra_Latn"}), 422)
    assert (body["error"], body["field"]) == ("detection_unavailable", "source_lang")


@pytest.mark.parametrize("code, suggestion", [
    ("eng_latn", "eng_Latn"), ("English", "eng_Latn"), ("ukr", "ukr_Cyrl"), ("fra_Lant", "fra_Latn"),
])
def test_unknown_language_is_422_with_a_suggestion(server, code, suggestion):
    body = error_of(server.translate("hi", source=code), 422)
    assert body["error"] == "unsupported_language"
    assert body["field"] == "source_lang"
    assert body["suggestion"] == suggestion


def test_unknown_language_without_near_miss_has_no_suggestion(server):
    body = error_of(server.translate("hi", target="qqq_Zzzz"), 422)
    assert "suggestion" not in body


def test_too_many_texts_is_413(server):
    body = error_of(server.translate(["a"] * 129), 413)
    assert body["error"] == "too_many_texts" and body["limit"] == 128


def test_text_over_the_character_limit_is_413(server):
    body = error_of(server.translate(["ok", "x" * 20_001]), 413)
    assert body["error"] == "text_too_long" and body["field"] == "text[1]"


def test_body_over_the_byte_limit_is_413(server):
    body = json.dumps({"text": "y" * (4 * 1024 * 1024)}).encode()
    head = (
        f"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {server.token}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    assert error_of(send_raw(server.port, head, body), 413)["error"] == "payload_too_large"


def test_chunked_body_over_the_byte_limit_is_413(server):
    body = json.dumps({"text": "y" * (4 * 1024 * 1024)}).encode()
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    head = (
        f"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {server.token}\r\n"
        f"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    assert error_of(send_raw(server.port, head, chunked), 413)["error"] == "payload_too_large"


def test_unknown_route_and_method_are_json(server):
    assert error_of(server.get("/nope"), 404)["error"] == "not_found"
    authorized = {"Authorization": f"Bearer {server.token}"}
    assert error_of(server.get("/translate", headers=authorized), 405)["error"] == "method_not_allowed"


def test_control_characters_are_removed_and_line_breaks_kept(server):
    dirty = server.translate("Hel\x00lo\x07 wor\x1bld.\n\nBye.", quality="fast").json["translation"]
    clean = server.translate("Hello world.\n\nBye.", quality="fast").json["translation"]
    assert dirty == clean and "\n\n" in dirty


def test_requests_gunicorn_refuses_before_the_app_get_json_errors_too(server):
    long_header = f"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: {'a' * 9000}\r\nConnection: close\r\n\r\n"
    resp = send_raw(server.port, long_header.encode(), b"")
    assert resp.status == 431 and resp.headers["content-type"] == "application/json"
    assert resp.json["error"] == "headers_too_large" and len(resp.json["message"]) < 200
    long_line = f"GET /health/live?{'q' * 9000} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    resp = send_raw(server.port, long_line.encode(), b"")
    assert resp.status == 414 and resp.json["error"] == "uri_too_long"
