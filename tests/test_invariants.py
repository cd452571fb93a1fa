"""The core invariant: whatever else is in flight, a request gets what it gets alone.

CTranslate2 on CPU is batch-invariant (float32 and int8), so the server's
answer under any mix of concurrent requests must equal, byte for byte, the
answer to the same request sent alone, and that must equal the model run
directly on the segment.
"""

import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import ctranslate2
import pytest
import sentencepiece as spm

from nllb.config import QUALITY_BEAMS
from nllb.modeldir import ModelDirectory
from nllb.translation.service import decoding_limit

SENTENCES = {
    "eng_Latn": ["The weather is nice today.", "Please send me the report before Friday.", "How much does a ticket cost?"],
    "fra_Latn": ["Il fait beau aujourd'hui.", "La bibliothèque ouvre à neuf heures."],
    "rus_Cyrl": ["Сегодня хорошая погода.", "Сколько стоит билет?"],
    "zho_Hans": ["今天天气很好。", "下一班火车二十分钟后出发。"],
    "arb_Arab": ["الطقس جميل اليوم."],
    "hin_Deva": ["आज मौसम अच्छा है।"],
}
TARGETS = ["fra_Latn", "deu_Latn", "ukr_Cyrl", "jpn_Jpan", "eng_Latn", "spa_Latn"]


def reference(model_path, text, source, target, quality):
    """The model run directly, without any nllb code but the length limit."""
    sp = spm.SentencePieceProcessor(model_file=str(model_path / "sentencepiece.bpe.model"))
    translator = ctranslate2.Translator(str(model_path), device="cpu", compute_type="float32")
    tokens = [source] + sp.encode(text, out_type=str) + ["</s>"]
    limit = decoding_limit(len(tokens), 512)
    [result] = translator.translate_batch(
        [tokens], target_prefix=[[target]], beam_size=QUALITY_BEAMS[quality], max_decoding_length=limit + 1
    )
    pieces = [p for p in result.hypotheses[0][1:] if sp.piece_to_id(p) not in (sp.unk_id(), 0, 1, 2)]
    return sp.decode_pieces(pieces)


@pytest.mark.parametrize("quality", ["fast", "balanced"])
def test_a_segment_is_translated_exactly_as_the_model_alone_translates_it(server, tiny_model, quality):
    model = ModelDirectory.open(tiny_model)
    for source, target in [("eng_Latn", "fra_Latn"), ("zho_Hans", "eng_Latn")]:
        text = SENTENCES[source][0]
        got = server.translate(text, source, target, quality).json["translation"]
        assert got == reference(model.path, text, source, target, quality)


def make_requests(count, seed=7):
    rng = random.Random(seed)
    requests = []
    for i in range(count):
        source = rng.choice(list(SENTENCES))
        target = rng.choice([t for t in TARGETS if t != source])
        quality = rng.choice(["fast", "balanced", "best"])
        if rng.random() < 0.4:
            text = [" ".join(rng.sample(SENTENCES[source], k=1)) for _ in range(rng.randint(1, 4))]
        else:
            text = " ".join(rng.sample(SENTENCES[source], k=min(2, len(SENTENCES[source]))))
            if rng.random() < 0.3:
                text += "\n\n" + rng.choice(SENTENCES[source])
        requests.append((text, source, target, quality))
    return requests


def test_concurrent_mixed_requests_get_exactly_what_they_get_alone(server):
    assert_concurrent_equals_alone(server, make_requests(320))


def test_the_same_holds_with_int8_and_sync_workers(make_server):
    srv = make_server(COMPUTE_TYPE="int8", WORKERS="3", THREADS="1").start()
    assert "Using worker: sync" in srv.log()
    assert_concurrent_equals_alone(srv, make_requests(120, seed=11))


def test_the_same_holds_with_two_model_replicas_and_both_serve(make_server):
    srv = make_server(INTER_THREADS="2").start()
    assert_concurrent_equals_alone(srv, make_requests(160, seed=13))
    time.sleep(0.3)  # the engine's last batch lines
    lines = [json.loads(line) for line in srv.log().splitlines() if line.startswith("{")]
    assert {line["replica"] for line in lines if line.get("event") == "batch"} == {0, 1}


def assert_concurrent_equals_alone(server, requests):
    alone = {}
    for text, source, target, quality in requests:
        key = (repr(text), source, target, quality)
        if key not in alone:
            resp = server.translate(text, source, target, quality)
            assert resp.status == 200, resp.body
            alone[key] = resp.body

    start = threading.Barrier(len(requests))

    def send(request):
        text, source, target, quality = request
        start.wait()
        return server.translate(text, source, target, quality, timeout=120)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        responses = list(pool.map(send, requests))
    mismatches = [
        (req, resp.status)
        for req, resp in zip(requests, responses)
        if resp.status != 200 or resp.body != alone[(repr(req[0]), req[1], req[2], req[3])]
    ]
    assert not mismatches, mismatches[:5]
