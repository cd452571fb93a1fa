"""Cold vs warm CPU of the request path's components, one at a time (the VM)."""
import io, json, logging, os, statistics, sys, tempfile, time, uuid
from pathlib import Path
sys.path.insert(0, "tests")
import numpy as np
tmp = tempfile.mkdtemp(); os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tmp)
from nllb.modeldir import ModelDirectory
from nllb.translation.tokenizer import Tokenizer
from nllb import metrics
model = ModelDirectory.open(sys.argv[1])
tok = Tokenizer(model, 512)
S = "The quick brown fox jumps over the lazy dog near the river bank today."
enc = tok.encode([S], "eng_Latn")[0][0]
import falcon
class R:
    def on_post(self, req, resp):
        resp.media = {"ok": True}
plain = falcon.App(); plain.add_route("/t", R())
body = json.dumps({"text": S, "source_lang": "eng_Latn", "target_lang": "fra_Latn"}).encode()
def env():
    return {"REQUEST_METHOD": "POST", "PATH_INFO": "/t", "QUERY_STRING": "", "SERVER_NAME": "h", "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body))}
def sr(s, h, e=None): pass
from nllb import logs
from nllb.config import Settings
logs.configure(Settings.from_env())
for h in logging.getLogger().handlers: 
    if hasattr(h, "stream"): h.stream = open(os.devnull, "w")
lg = logging.getLogger("nllb.request")
import ujson
cases = {
    "encode": lambda: tok.encode([S], "eng_Latn"),
    "decode": lambda: tok.decode([enc]),
    "falcon_bare": lambda: b"".join(plain(env(), sr)),
    "log_line": lambda: lg.info("POST /translate 200", extra={"fields": {"event": "request", "request_id": "x", "status": 200, "latency_ms": 1.2}}),
    "metrics": lambda: (metrics.requests_total.labels("200", "eng_Latn", "fra_Latn", "false").inc(), metrics.latency.labels("eng_Latn", "fra_Latn", "fast").observe(0.01)),
    "uuid4": lambda: str(uuid.uuid4()),
    "ujson": lambda: ujson.dumps(ujson.loads(body)),
    "nothing": lambda: None,
}
def measure(f, pause, n):
    out = []
    for _ in range(n):
        if pause: time.sleep(pause)
        c = time.thread_time_ns(); f(); out.append(time.thread_time_ns() - c)
    return statistics.median(out) / 1000
for name, f in cases.items():
    for _ in range(200): f()
    warm = measure(f, 0, 300); cold = measure(f, 0.005, 300)
    print(f"{name:12s} warm {warm:7.1f} us  after 5 ms asleep {cold:7.1f} us")
