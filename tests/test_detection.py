"""Language identification: `source_lang` "auto" per text, POST /detect, and the model loaded once per node.

The identification model is real: fastText, trained by the tests on the package's labelled sentences
(nllb/data/lid_sentences.tsv) and loaded through the same code as NLLB's, GlotLID or OpenLID.
"""

import importlib.util
import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from nllb.languages import NLLB_LANGUAGE_CODES, Languages
from nllb.tools.synthetic import write_lid_model
from nllb.translation.detection import DetectionModelError, LanguageDetector

FRENCH = "La bibliothèque ouvre à neuf heures du matin et ferme à six heures."
GERMAN = "Die Kinder spielen im Garten hinter dem Haus."
RUSSIAN = "Сегодня хорошая погода, поэтому мы пойдём пешком на рынок."
SPANISH = "¿Podría decirme dónde está la estación de tren más cercana?"


@pytest.fixture
def auto_app(make_app_with, lid_model):
    return make_app_with(LID_MODEL_PATH=str(lid_model))


def language_of(app, source) -> str:
    """The source language token a segment was sent with."""
    return app.model.vocabulary[int(source[0])]


def test_each_text_of_a_list_is_translated_from_its_own_language(auto_app):
    token = auto_app.create_token()
    resp = auto_app.translate(token, [FRENCH, GERMAN, RUSSIAN], source="auto", target="spa_Latn")
    assert resp.status_code == 200
    body = resp.json
    assert body["source_lang"] == "auto"
    assert body["detected_source_lang"] == ["fra_Latn", "deu_Latn", "rus_Cyrl"]
    assert all(0.5 <= c <= 1 for c in body["detection_confidence"])
    assert body["unchanged"] == [False, False, False]
    assert body["translation"] == [FRENCH, GERMAN, RUSSIAN]  # the echo engine
    [job] = auto_app.engine.jobs  # one job for all three languages
    assert [language_of(auto_app, s) for s in job.sources] == ["fra_Latn", "deu_Latn", "rus_Cyrl"]


def test_without_a_source_lang_the_language_is_identified(auto_app):
    token = auto_app.create_token()
    body = auto_app.translate(token, GERMAN, source=None, target="fra_Latn").json
    assert (body["source_lang"], body["detected_source_lang"], body["unchanged"]) == ("auto", "deu_Latn", False)
    assert isinstance(body["detection_confidence"], float)


def test_a_text_already_in_the_target_language_comes_back_unchanged_and_says_so(auto_app):
    token = auto_app.create_token()
    body = auto_app.translate(token, [SPANISH, FRENCH, ""], source="auto", target="spa_Latn").json
    assert body["translation"] == [SPANISH, FRENCH, ""]
    assert body["unchanged"] == [True, False, True]
    assert body["detected_source_lang"] == ["spa_Latn", "fra_Latn", None]
    [job] = auto_app.engine.jobs
    assert len(job) == 1  # only the French text went to the engine


@pytest.mark.parametrize("text", ["12345", "☃☃☃ !!!", "😀"])
def test_a_text_in_no_script_is_refused_naming_the_text(auto_app, text):
    token = auto_app.create_token()
    resp = auto_app.translate(token, [FRENCH, text], source="auto", target="eng_Latn")
    assert resp.status_code == 422
    assert (resp.json["error"], resp.json["field"]) == ("language_not_detected", "text[1]")
    assert "source_lang" in resp.json["message"]
    assert auto_app.engine.jobs == []


def test_below_the_confidence_threshold_a_text_is_refused_never_guessed(make_app_with, lid_model):
    app = make_app_with(LID_MODEL_PATH=str(lid_model), DETECTION_THRESHOLD="0.9999")
    token = app.create_token()
    resp = app.translate(token, "Wo ist der Bahnhof?", source="auto", target="eng_Latn")
    assert resp.status_code == 422 and resp.json["field"] == "text"
    assert "at best deu_Latn" in resp.json["message"]


def test_without_a_model_auto_says_how_to_install_one_and_explicit_languages_still_work(app):
    token = app.create_token()
    resp = app.translate(token, FRENCH, source="auto")
    assert resp.status_code == 422 and resp.json["error"] == "detection_unavailable"
    assert "nllb model download-lid" in resp.json["message"] and "LID_MODEL_PATH" in resp.json["message"]
    assert app.translate(token, FRENCH, source="fra_Latn").status_code == 200
    detect = app.client.simulate_post("/detect", json={"text": FRENCH}, headers={"Authorization": f"Bearer {token}"})
    assert detect.status_code == 422 and detect.json["error"] == "detection_unavailable"


def test_detect_ranks_candidates_with_names_and_confidences(auto_app):
    token = auto_app.create_token()
    resp = auto_app.client.simulate_post("/detect", json={"text": [RUSSIAN, SPANISH], "top": 2},
                                         headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200
    russian, spanish = resp.json["detections"]
    assert russian[0]["code"] == "rus_Cyrl" and russian[0]["name"] == "Russian"
    assert spanish[0]["code"] == "spa_Latn" and len(spanish) == 2
    for ranked in (russian, spanish):
        assert [c["confidence"] for c in ranked] == sorted((c["confidence"] for c in ranked), reverse=True)
    single = auto_app.client.simulate_post("/detect", json={"text": GERMAN},
                                           headers={"Authorization": f"Bearer {token}"}).json
    assert single["detections"][0]["code"] == "deu_Latn" and len(single["detections"]) == 3


def test_detect_checks_its_body(auto_app):
    token = auto_app.create_token()
    headers = {"Authorization": f"Bearer {token}"}
    resp = auto_app.client.simulate_post("/detect", json={"text": "Hallo", "top": 11}, headers=headers)
    assert (resp.status_code, resp.json["field"]) == (422, "top")
    assert auto_app.client.simulate_post("/detect", json={"text": "Hallo"}).status_code == 401


def test_health_info_describes_the_identification_model(auto_app, app):
    info = auto_app.client.simulate_get("/health/info").json["language_identification"]
    assert (info["labels"], info["languages_of_the_translation_model"]) == (8, 8)
    assert app.client.simulate_get("/health/info").json["language_identification"] is None


def test_only_languages_the_translation_model_knows_are_offered(lid_model):
    without_french = Languages([code for code in NLLB_LANGUAGE_CODES if code != "fra_Latn"])
    detector = LanguageDetector(lid_model, without_french)
    assert "fra_Latn" not in detector.known and len(detector.known) == 7
    [candidates] = detector.detect([FRENCH], top=8)
    assert "fra_Latn" not in [c.code for c in candidates]


def test_a_file_that_is_no_fasttext_model_is_refused(tmp_path):
    bad = tmp_path / "lid.bin"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(DetectionModelError, match="not a fastText model"):
        LanguageDetector(bad, Languages(list(NLLB_LANGUAGE_CODES)))


def test_through_the_server_auto_mixed_with_explicit_requests_gives_what_each_gets_alone(make_server, lid_model):
    srv = make_server(LID_MODEL_PATH=str(lid_model)).start()
    cases = [
        {"text": [FRENCH, GERMAN, RUSSIAN], "source_lang": "auto", "target_lang": "eng_Latn", "quality": "fast"},
        {"text": FRENCH, "source_lang": "fra_Latn", "target_lang": "eng_Latn", "quality": "fast"},
        {"text": [SPANISH, GERMAN], "target_lang": "spa_Latn", "quality": "fast"},
        {"text": RUSSIAN, "source_lang": "rus_Cyrl", "target_lang": "deu_Latn", "quality": "balanced"},
        {"text": [GERMAN, RUSSIAN], "source_lang": "auto", "target_lang": "deu_Latn", "quality": "balanced"},
    ]
    alone = [srv.post("/translate", case).body for case in cases]
    assert json.loads(alone[2])["unchanged"] == [True, False]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(lambda i: srv.post("/translate", cases[i % len(cases)]).body, range(40)))
    assert together == [alone[i % len(cases)] for i in range(40)]
    # The auto request's French text is translated exactly as the explicit French request.
    assert json.loads(alone[0])["translation"][0] == json.loads(alone[1])["translation"]
    metrics = srv.get("/metrics").body.decode()
    assert 'language_detections_total{language="fra_Latn"}' in metrics


def test_the_model_is_loaded_once_by_the_master_and_its_pages_shared_by_every_worker(make_server, tmp_path):
    # Large enough to stand out from a worker's own memory: 400,000 buckets × 128 floats ≈ 200 MB.
    model = write_lid_model(tmp_path / "large.bin", dim=128, bucket=400_000)
    size_kib = model.stat().st_size // 1024
    srv = make_server(LID_MODEL_PATH=str(model), WORKERS="3").start()
    assert srv.log().count("language identification model") == 1
    # Every worker answers with it, and none loaded its own.
    seen = set()
    lock = threading.Lock()

    def detect(_):
        resp = srv.post("/detect", {"text": GERMAN})
        with lock:
            seen.add(resp.status)
        return resp.json["detections"][0]["code"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert set(pool.map(detect, range(30))) == {"deu_Latn"}
    assert seen == {200} and srv.log().count("language identification model") == 1
    for worker in srv.workers():
        memory = smaps_rollup(worker)
        assert memory["Rss"] > size_kib  # it reads the model ...
        assert memory["Private_Clean"] + memory["Private_Dirty"] < size_kib / 2  # ... from pages it shares


def smaps_rollup(pid: int) -> dict[str, int]:
    """A process's memory in KiB: Rss, Pss, Private_Clean, Private_Dirty, …"""
    lines = open(f"/proc/{pid}/smaps_rollup").read().splitlines()[1:]
    return {line.split(":")[0]: int(line.split()[1]) for line in lines}


@pytest.mark.parametrize("text", [
    "word" * 5000,  # 20,000 characters of one word
    "Die Kinder spielen\nim Garten\r\nhinter dem Haus.",  # fastText reads one line
    "Hello мир 你好 مرحبا",  # mixed scripts in one sentence
    "...!!!???", "2026-11-27 15:30", "👍🏽🎉", "",
])
def test_hard_texts_are_identified_or_refused_never_a_500(auto_app, text):
    token = auto_app.create_token()
    resp = auto_app.translate(token, [text], source="auto", target="eng_Latn")
    assert resp.status_code in (200, 422), resp.text
    if resp.status_code == 422:
        assert (resp.json["error"], resp.json["field"]) == ("language_not_detected", "text[0]")
    elif not text:
        assert resp.json["translation"] == [""] and resp.json["detected_source_lang"] == [None]
    detect = auto_app.client.simulate_post("/detect", json={"text": text}, headers={"Authorization": f"Bearer {token}"})
    assert detect.status_code == 200


def test_a_text_with_line_breaks_is_read_whole(auto_app):
    token = auto_app.create_token()
    body = auto_app.translate(token, "Die Kinder spielen im Garten.\nSie spielen hinter dem Haus.", source="auto",
                              target="eng_Latn").json
    assert body["detected_source_lang"] == "deu_Latn"
    assert body["translation"] == "Die Kinder spielen im Garten.\nSie spielen hinter dem Haus."


def test_a_lid_model_path_that_is_no_model_stops_the_start_with_a_clear_message(make_server, tmp_path):
    bad = tmp_path / "lid.bin"
    bad.write_bytes(b"\0" * 64)
    srv = make_server(LID_MODEL_PATH=str(bad)).start(ready=False)
    assert srv.process.wait(30) != 0
    assert "not a fastText model" in srv.log() and "Traceback" not in srv.log()


def test_model_info_reports_a_lid_models_coverage_of_nllbs_languages(lid_model):
    result = subprocess.run([sys.executable, "-m", "nllb", "model", "info", str(lid_model)],
                            capture_output=True, text=True, timeout=60)
    info = json.loads(result.stdout)
    assert info["kind"] == "fastText language identification" and info["labels"] == 8
    assert info["nllb_languages_covered"] == "8 of 202" and "ukr_Cyrl" in info["nllb_languages_missing"]


def test_downloading_a_lid_model_without_the_extra_says_what_to_install(tmp_path):
    if importlib.util.find_spec("huggingface_hub"):
        pytest.skip("the convert extra is installed here")
    result = subprocess.run([sys.executable, "-m", "nllb", "model", "download-lid", "--dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "nllb[convert]" in result.stderr
