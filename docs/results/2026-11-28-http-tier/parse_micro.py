import io, time, sys
from gunicorn.config import Config
from gunicorn.http.parser import RequestParser
from nllb.tools import loadgen
from nllb.tools.bench import request_bodies
body = request_bodies(1, "fast")[0]
raw = loadgen.encode_post("/translate", body, {"Content-Type": "application/json", "Authorization": "Bearer " + "x"*40})
class S:
    def __init__(s, data): s.b = io.BytesIO(data)
    def recv(s, n): return s.b.read(n)
    def recv_into(s, buf, n=0):
        d = s.b.read(len(buf) if not n else n); buf[:len(d)] = d; return len(d)
for parser in ("python", "fast"):
    cfg = Config(); cfg.set("http_parser", parser)
    N = 20000
    t = time.perf_counter()
    for _ in range(N):
        p = RequestParser(cfg, S(raw), ("127.0.0.1", 1))
        req = next(p)
        req.body.read()
    print(parser, f"{(time.perf_counter()-t)/N*1e6:.1f} us/request")
