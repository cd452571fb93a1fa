"""Google Cloud Translation v2 (basic), driven by google-cloud-translate's v2 Client (unmodified)."""

import json

import google.api_core.exceptions
import google.auth.api_key
import pytest
from google.cloud import translate_v2
from support import request

GERMAN = "Die Kinder spielen im Garten hinter dem Haus."
FRENCH = "La bibliothèque ouvre à neuf heures du matin et ferme à six heures."


def client_for(srv, key: str) -> translate_v2.Client:
    return translate_v2.Client(credentials=google.auth.api_key.Credentials(key),
                               client_options={"api_endpoint": f"http://127.0.0.1:{srv.port}"})


@pytest.fixture(scope="module")
def client(lid_server):
    return client_for(lid_server, lid_server.token)


def test_a_string_translates_as_our_own_endpoint_does(client, lid_server):
    result = client.translate(GERMAN, target_language="fr", source_language="de")
    assert result["translatedText"] == lid_server.translation(GERMAN, "deu_Latn", "fra_Latn")
    assert "detectedSourceLanguage" not in result and result["input"] == GERMAN


def test_a_list_without_source_is_identified_text_by_text(client, lid_server):
    results = client.translate([GERMAN, FRENCH], target_language="zh-TW")
    assert [r["detectedSourceLanguage"] for r in results] == ["de", "fr"]
    assert [r["translatedText"] for r in results] == lid_server.translation([GERMAN, FRENCH], None, "zho_Hant")


def test_detect_language(client):
    german, french = client.detect_language([GERMAN, FRENCH])
    assert (german["language"], french["language"]) == ("de", "fr")
    assert 0.5 <= german["confidence"] <= 1 and german["input"] == GERMAN
    assert client.detect_language(GERMAN)["language"] == "de"


def test_get_languages(client, lid_server):
    named = client.get_languages()  # the client always asks for names in its target language, en
    assert len(named) == 202 and {"language": "de", "name": "German"} in named
    codes = request(lid_server.port, "GET", f"/language/translate/v2/languages?key={lid_server.token}")
    assert codes.status == 200 and {"language": "zh-Hant"} in codes.json["data"]["languages"]


def test_a_key_in_the_query_string_works_too(lid_server):
    body = json.dumps({"q": [GERMAN], "target": "en", "source": "de"}).encode()
    resp = request(lid_server.port, "POST", f"/language/translate/v2?key={lid_server.token}", body=body,
                   headers={"Content-Type": "application/json"})
    assert resp.status == 200 and len(resp.json["data"]["translations"]) == 1


def test_a_wrong_key_is_forbidden_in_googles_envelope(lid_server):
    with pytest.raises(google.api_core.exceptions.Forbidden):
        client_for(lid_server, "nllb_" + "x" * 43).translate(GERMAN, target_language="fr")


@pytest.mark.parametrize("payload, fragment", [
    ({"q": ["a"] * 129, "target": "fr"}, "Too many text segments"),
    ({"q": ["Hallo"], "target": "xx"}, "Bad language pair"),
    ({"q": ["Hallo"]}, "Required Target"),
    ({"q": [], "target": "fr"}, "Required Text"),
    ({"q": ["Hallo"], "target": "fr", "format": "pdf"}, "Invalid Value for format"),
])
def test_bad_requests_are_400_in_googles_envelope(lid_server, payload, fragment):
    resp = request(lid_server.port, "POST", "/language/translate/v2", body=json.dumps(payload).encode(),
                   headers={"Content-Type": "application/json", "x-goog-api-key": lid_server.token})
    error = resp.json["error"]
    assert resp.status == 400 and error["code"] == 400 and error["status"] == "INVALID_ARGUMENT"
    assert fragment in error["message"]


def test_plain_text_in_format_html_and_format_text_both_translate(client, lid_server):
    as_html = client.translate(GERMAN, target_language="fr", source_language="de", format_="html")
    as_text = client.translate(GERMAN, target_language="fr", source_language="de", format_="text")
    assert as_html["translatedText"] == as_text["translatedText"]
    page = client.translate('<p>Die <b>Kinder</b> spielen.</p><p lang="de">Zwei</p>', target_language="fr",
                            source_language="de")  # html, Google's default
    assert page["translatedText"].count("<b>") == 1 and page["translatedText"].count('<p lang="de">') == 1


def test_the_key_in_the_query_string_wins_over_the_header(lid_server):
    body = json.dumps({"q": ["Hallo"], "target": "en", "source": "de"}).encode()
    wrong_query = request(lid_server.port, "POST", f"/language/translate/v2?key=nllb_{'x' * 43}", body=body,
                          headers={"Content-Type": "application/json", "x-goog-api-key": lid_server.token})
    assert wrong_query.status == 403 and wrong_query.json["error"]["status"] == "PERMISSION_DENIED"


def test_a_form_body_works_and_a_mislabelled_one_is_400(lid_server):
    form = request(lid_server.port, "POST", f"/language/translate/v2?key={lid_server.token}",
                   body=b"q=Hallo&q=Welt&target=en&source=de",
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status == 200 and len(form.json["data"]["translations"]) == 2
    mislabelled = request(lid_server.port, "POST", f"/language/translate/v2?key={lid_server.token}",
                          body=b"q=Hallo&target=en", headers={"Content-Type": "application/json"})
    assert mislabelled.status == 400 and mislabelled.json["error"]["code"] == 400
