"""DeepL API v2, driven by DeepL's own Python SDK (unmodified, pointed at the running server)."""

import json

import deepl
import pytest
from support import request

GERMAN = "Die Kinder spielen im Garten hinter dem Haus."
FRENCH = "La bibliothèque ouvre à neuf heures du matin et ferme à six heures."


@pytest.fixture(scope="module")
def translator(lid_server):
    return deepl.Translator(lid_server.token, server_url=f"http://127.0.0.1:{lid_server.port}")


def test_a_text_translates_as_it_does_on_our_own_endpoint(translator, lid_server):
    result = translator.translate_text(GERMAN, source_lang="DE", target_lang="FR")
    assert result.text == lid_server.translation(GERMAN, "deu_Latn", "fra_Latn")
    assert result.detected_source_lang == "DE" and result.billed_characters == len(GERMAN)


def test_a_list_without_source_lang_is_identified_text_by_text(translator, lid_server):
    results = translator.translate_text([GERMAN, FRENCH], target_lang="ES")
    assert [r.detected_source_lang for r in results] == ["DE", "FR"]
    assert [r.text for r in results] == lid_server.translation([GERMAN, FRENCH], None, "spa_Latn")


@pytest.mark.parametrize("target, flores", [("EN-US", "eng_Latn"), ("EN-GB", "eng_Latn"), ("PT-BR", "por_Latn"),
                                            ("ZH-HANT", "zho_Hant"), ("ZH-HANS", "zho_Hans"), ("ES-419", "spa_Latn")])
def test_regional_targets_map_to_the_variety_nllb_has(translator, lid_server, target, flores):
    result = translator.translate_text(GERMAN, source_lang="DE", target_lang=target)
    assert result.text == lid_server.translation(GERMAN, "deu_Latn", flores)


def test_usage_reports_the_tokens_character_budget(lid_server):
    token = lid_server.create_token("deepl-usage", char_limit={"characters": 1000, "window_seconds": 3600}).json
    translator = deepl.Translator(token["token"], server_url=f"http://127.0.0.1:{lid_server.port}")
    translator.translate_text(GERMAN, source_lang="DE", target_lang="FR")
    usage = translator.get_usage()
    assert usage.character.limit == 1000 and usage.character.count == len(GERMAN)


def test_the_language_lists_show_what_the_model_can_do(translator):
    sources = {language.code for language in translator.get_source_languages()}
    targets = {language.code for language in translator.get_target_languages()}
    assert len(sources) == 202 and {"DE", "EN", "PT", "ZH", "ZH-HANT", "UK"} <= sources
    assert {"EN-US", "EN-GB", "PT-BR", "PT-PT", "ZH-HANS", "ZH-HANT", "DE"} <= targets
    assert "EN" not in targets and "PT" not in targets


def test_a_spent_character_budget_is_the_sdks_quota_exception(lid_server):
    token = lid_server.create_token("deepl-quota", char_limit={"characters": 20, "window_seconds": 3600}).json
    translator = deepl.Translator(token["token"], server_url=f"http://127.0.0.1:{lid_server.port}")
    with pytest.raises(deepl.QuotaExceededException):
        translator.translate_text(GERMAN, source_lang="DE", target_lang="FR")


def test_a_wrong_key_is_the_sdks_authorization_exception(lid_server):
    translator = deepl.Translator("nllb_" + "x" * 43, server_url=f"http://127.0.0.1:{lid_server.port}")
    with pytest.raises(deepl.AuthorizationException):
        translator.get_usage()


def call(srv, body: bytes, content_type: str = "application/json", key: str | None = "default"):
    headers = {"Content-Type": content_type}
    if key:
        headers["Authorization"] = f"DeepL-Auth-Key {srv.token if key == 'default' else key}"
    return request(srv.port, "POST", "/v2/translate", body=body, headers=headers)


def test_a_form_body_with_text_repeated_works_like_the_json_one(lid_server):
    form = call(lid_server, b"text=Hallo+Welt.&text=Guten+Morgen.&source_lang=DE&target_lang=EN",
                "application/x-www-form-urlencoded")
    as_json = call(lid_server, json.dumps({"text": ["Hallo Welt.", "Guten Morgen."], "source_lang": "DE",
                                              "target_lang": "EN"}).encode())
    assert form.status == as_json.status == 200  # EN is accepted as a target, as DeepL still does
    assert form.json == as_json.json and len(form.json["translations"]) == 2


@pytest.mark.parametrize("body, fragment", [
    ({"text": ["Hallo"], "target_lang": "XX"}, "'target_lang' not supported"),
    ({"text": ["Hallo"], "source_lang": "QQ", "target_lang": "DE"}, "'source_lang' not supported"),
    ({"text": [], "target_lang": "DE"}, "'text' not specified"),
    ({"text": ["Hallo"]}, "'target_lang' not specified"),
    ({"text": ["Hallo"], "target_lang": "FR", "formality": "more"}, "'formality' is not supported"),
    ({"text": ["Hallo"], "target_lang": "FR", "glossary_id": "g1"}, "'glossary_id' is not supported"),
    ({"text": ["<b>Hallo</b>"], "target_lang": "FR", "tag_handling": "pdf"}, "'tag_handling' not supported"),
])
def test_bad_requests_are_400_with_deepls_message_body(lid_server, body, fragment):
    resp = call(lid_server, json.dumps(body).encode())
    assert resp.status == 400 and fragment in resp.json["message"] and set(resp.json) == {"message"}


def test_too_many_texts_is_413(lid_server):
    resp = call(lid_server, json.dumps({"text": ["a"] * 129, "target_lang": "FR"}).encode())
    assert resp.status == 413 and "message" in resp.json


def test_without_a_key_it_is_403(lid_server):
    resp = call(lid_server, b'{"text": ["Hallo"], "target_lang": "FR"}', key=None)
    assert resp.status == 403 and set(resp.json) == {"message"}


def test_tag_handling_keeps_weblates_placeholders_and_ignored_tags(translator):
    result = translator.translate_text('Löschen <x id="1"></x> Dateien aus <x id="2"></x>?', source_lang="DE",
                                       target_lang="FR", tag_handling="xml")
    assert result.text.count('<x id="1"/>') == result.text.count('<x id="2"/>') == 1
    page = translator.translate_text("<p>Die <b>Kinder</b> spielen. <keep>Nicht übersetzen</keep></p>",
                                     source_lang="DE", target_lang="FR", tag_handling="html", ignore_tags="keep")
    assert "<keep>Nicht übersetzen</keep>" in page.text and page.text.count("<b>") == 1


def test_markup_free_text_with_tag_handling_is_translated_as_text(lid_server):
    plain = call(lid_server, json.dumps({"text": [GERMAN], "source_lang": "DE", "target_lang": "FR"}).encode())
    tagged = call(lid_server, json.dumps({"text": [GERMAN], "source_lang": "DE", "target_lang": "FR",
                                             "tag_handling": "html"}).encode())
    assert tagged.status == 200 and tagged.json == plain.json
