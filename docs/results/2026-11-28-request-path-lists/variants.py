import os, random, statistics, sys, time, uuid, array
import numpy as np
from nllb.modeldir import ModelDirectory
from nllb.translation.tokenizer import Tokenizer
model = ModelDirectory.open(sys.argv[1])
tok = Tokenizer(model, 512)
sp = tok._sp
S = "The quick brown fox jumps over the lazy dog near the river bank today."
enc = tok.encode([S], "eng_Latn")[0][0]
to_model = tok._to_model.tolist(); to_piece = tok._to_piece.tolist()
lang = tok.token_ids["eng_Latn"]; end = tok.end
def enc_list():
    ids = sp.EncodeAsIds(S)
    return [lang, *[to_model[i] for i in ids], end]
def enc_raw():
    ids = sp._EncodeAsIds(S, False, -1, 0.1, False, False, False, False)
    return [lang, *[to_model[i] for i in ids], end]
out = enc.tolist()
def dec_list():
    return sp.DecodeIds([p for p in (to_piece[t] for t in out) if p >= 0])
def dec_raw():
    return sp._DecodeIds([p for p in (to_piece[t] for t in out) if p >= 0])
cases = {
    "encode": lambda: tok.encode([S], "eng_Latn"),
    "encode_list": enc_list,

    "decode": lambda: tok.decode([enc]),
    "decode_list": dec_list,

    "uuid4": lambda: str(uuid.uuid4()),
    "urandom_hex": lambda: os.urandom(16).hex(),
    "getrandbits": lambda: "%032x" % random.getrandbits(128),
    "nothing": lambda: None,
}
def measure(f, pause, n):
    out = []
    for _ in range(n):
        if pause: time.sleep(pause)
        c = time.thread_time_ns(); f(); out.append(time.thread_time_ns() - c)
    return statistics.median(out) / 1000
for r in range(2):
  for name, f in cases.items():
    for _ in range(200): f()
    warm = measure(f, 0, 300); cold = measure(f, 0.005, 300)
    print(f"{name:12s} warm {warm:7.1f} us  after 5 ms asleep {cold:7.1f} us")
