"""LibreTranslate under /libretranslate/, driven by libretranslatepy (unmodified) and by raw requests
shaped as LibreTranslate's own clients send them."""

import json
import urllib.error

import pytest
from libretranslatepy import LibreTranslateAPI
from support import request

GERMAN = "Die Kinder spielen im Garten hinter dem Haus."
FRENCH = "La bibliothèque ouvre à neuf heures du matin et ferme à six heures."


@pytest.fixture(scope="module")
def lt(lid_server):
    return LibreTranslateAPI(f"http://127.0.0.1:{lid_server.port}/libretranslate/", api_key=lid_server.token)


def post(srv, path: str, payload=None, form: str | None = None, query: str = ""):
    body = form.encode() if form is not None else json.dumps(payload).encode()
    content_type = "application/x-www-form-urlencoded" if form is not None else "application/json"
    return request(srv.port, "POST", f"/libretranslate/{path}{query}", body=body, headers={"Content-Type": content_type})


def test_the_client_translates_as_our_own_endpoint_does(lt, lid_server):
    assert lt.translate(GERMAN, "de", "fr") == lid_server.translation(GERMAN, "deu_Latn", "fra_Latn")
    assert lt.translate(GERMAN, "de", "zh-Hant") == lid_server.translation(GERMAN, "deu_Latn", "zho_Hant")


def test_the_client_detects_with_percent_confidences(lt):
    ranked = lt.detect(FRENCH)
    assert ranked[0]["language"] == "fr" and isinstance(ranked[0]["confidence"], float)
    assert 50.0 <= ranked[0]["confidence"] <= 100.0
    assert [r["confidence"] for r in ranked] == sorted((r["confidence"] for r in ranked), reverse=True)


def test_the_client_lists_every_language_with_every_other_as_target(lt):
    languages = lt.languages()
    assert len(languages) == 202
    german = next(language for language in languages if language["code"] == "de")
    assert german["name"] == "German" and len(german["targets"]) == 202 and "zh-Hant" in german["targets"]


def test_auto_reports_the_detected_language_per_text(lid_server):
    token = lid_server.token
    single = post(lid_server, "translate", {"q": GERMAN, "source": "auto", "target": "es", "api_key": token}).json
    assert single["detectedLanguage"]["language"] == "de" and isinstance(single["detectedLanguage"]["confidence"],
                                                                          float)
    batch = post(lid_server, "translate", {"q": [GERMAN, FRENCH], "source": "auto", "target": "es",
                                              "api_key": token}).json
    assert [d["language"] for d in batch["detectedLanguage"]] == ["de", "fr"]
    assert batch["translatedText"] == lid_server.translation([GERMAN, FRENCH], None, "spa_Latn")
    explicit = post(lid_server, "translate", {"q": GERMAN, "source": "de", "target": "es", "api_key": token}).json
    assert set(explicit) == {"translatedText"}  # detectedLanguage only for auto


def test_values_come_from_the_form_or_the_query_string(lid_server):
    token = lid_server.token
    form = post(lid_server, "translate", form=f"q=Hallo+Welt.&source=de&target=en&api_key={token}")
    query = post(lid_server, "translate", {"q": "Hallo Welt."}, query=f"?source=de&target=en&api_key={token}")
    assert form.status == query.status == 200 and form.json == query.json


def test_alternatives_are_answered_with_empty_lists(lid_server):
    body = post(lid_server, "translate", {"q": GERMAN, "source": "de", "target": "en", "alternatives": 2,
                                             "api_key": lid_server.token}).json
    assert body["alternatives"] == []


def test_format_html_keeps_every_tag(lid_server):
    body = post(lid_server, "translate", {"q": '<p>Die <a href="/x">Kinder</a> spielen.</p>', "source": "de",
                                             "target": "en", "format": "html", "api_key": lid_server.token}).json
    assert body["translatedText"].startswith("<p>") and body["translatedText"].count('<a href="/x">') == 1


def test_settings_for_its_web_page(lid_server):
    settings = request(lid_server.port, "GET", "/libretranslate/frontend/settings").json
    assert settings["charLimit"] == 20_000 and settings["keyRequired"] is True
    assert settings["language"]["source"]["code"] == "auto"


@pytest.mark.parametrize("payload, status, fragment", [
    ({"source": "de", "target": "en"}, 400, "missing q parameter"),
    ({"q": "Hallo", "target": "en"}, 400, "missing source parameter"),
    ({"q": "Hallo", "source": "xx", "target": "en"}, 400, "xx is not supported"),
    ({"q": "Hallo", "source": "de", "target": "en", "format": "pdf"}, 400, "pdf format is not supported"),
    ({"q": ["a"] * 129, "source": "de", "target": "en"}, 400, "exceeds text limit"),
    ({"q": "12345", "source": "auto", "target": "en"}, 400, "could not be identified"),
])
def test_errors_are_its_error_body_with_its_statuses(lid_server, payload, status, fragment):
    resp = post(lid_server, "translate", {**payload, "api_key": lid_server.token})
    assert resp.status == status and fragment in resp.json["error"] and set(resp.json) == {"error"}


def test_a_missing_or_foreign_key_is_403(lid_server):
    assert post(lid_server, "translate", {"q": "Hallo", "source": "de", "target": "en"}).status == 403
    deepl_style = request(lid_server.port, "POST", "/libretranslate/translate",
                          body=b'{"q": "Hallo", "source": "de", "target": "en"}',
                          headers={"Content-Type": "application/json",
                                   "Authorization": f"DeepL-Auth-Key {lid_server.token}"})
    assert deepl_style.status == 403 and "error" in deepl_style.json


def test_the_client_raises_on_an_error(lid_server):
    lt = LibreTranslateAPI(f"http://127.0.0.1:{lid_server.port}/libretranslate/", api_key="nllb_" + "x" * 43)
    with pytest.raises(urllib.error.HTTPError) as raised:
        lt.translate("Hallo", "de", "en")
    assert raised.value.code == 403


def test_a_json_content_type_with_a_form_body_is_400_and_reaches_nothing(lid_server):
    resp = request(lid_server.port, "POST", "/libretranslate/translate",
                   body=f"q=Hallo&source=de&target=en&api_key={lid_server.token}".encode(),
                   headers={"Content-Type": "application/json"})
    assert resp.status == 400 and "error" in resp.json


def test_the_api_key_in_the_body_wins_over_an_authorization_header(lid_server):
    resp = request(lid_server.port, "POST", "/libretranslate/translate",
                   body=json.dumps({"q": "Hallo", "source": "de", "target": "en",
                                    "api_key": "nllb_" + "x" * 43}).encode(),
                   headers={"Content-Type": "application/json", "Authorization": f"Bearer {lid_server.token}"})
    assert resp.status == 403  # LibreTranslate reads api_key; a wrong one is wrong whatever else is sent
