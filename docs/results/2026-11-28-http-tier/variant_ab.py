"""Worker CPU per request, gunicorn's Python parser vs gunicorn_h1c (picohttpparser), alternating, through the
real service (2 workers x 32 threads, Redis limits and cache, 16 in flight, one load process): GET /health/live
and cached POST /translate."""
import os, subprocess, sys, tempfile, time
from pathlib import Path
from nllb.tools import loadgen
from nllb.tools.bench import request_bodies
from nllb.tools.harness import Service, RedisServer

def worker_ticks(title="nllb: worker"):
    total = 0
    for pid in subprocess.check_output(["pgrep", "-f", title]).split():
        if b"master" in open(f"/proc/{int(pid)}/cmdline", "rb").read():
            continue
        for tid in os.listdir(f"/proc/{int(pid)}/task"):
            f = open(f"/proc/{int(pid)}/task/{tid}/stat").read().rsplit(")", 1)[1].split()
            total += int(f[11]) + int(f[12])
    return total

def measure(port, requests, seconds, inflight):
    loadgen.closed_loop(port, inflight, 1.0, requests)
    t0 = worker_ticks()
    tally = loadgen.closed_loop(port, inflight, seconds, requests)
    t1 = worker_ticks()
    n = len(tally.latencies)
    return n / seconds, (t1 - t0) * 10 / max(n, 1), tally.errors

model, seconds, rounds = Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
parsers = sys.argv[4].split(",") if len(sys.argv) > 4 else ["python", "auto"]
with tempfile.TemporaryDirectory() as tmp:
    redis = RedisServer(Path(tmp)).start()
    try:
        for r in range(rounds):
            for parser in parsers:
                env = {"WORKERS": "2", "THREADS": "32", "MAX_DECODING_LENGTH": "8", "REDIS_URL": redis.url,
                       "LOG_LEVEL": "info", "LOG_FORMAT": "json"}
                if parser == "onesend":
                    env["PYTHONPATH"] = os.path.dirname(os.path.abspath(__file__)) + "/onesend:" + os.getcwd()
                elif parser != "default":
                    env["GUNICORN_CMD_ARGS"] = f"--http-parser={parser}"
                svc = Service(model, Path(tmp) / f"s{r}{parser}.log", env).start()
                try:
                    headers = {"Content-Type": "application/json", **svc.headers}
                    live = [b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n"]
                    posts = [loadgen.encode_post("/translate", b, headers) for b in request_bodies(1, "fast")]
                    for name, reqs in (("GET /health/live", live), ("cached /translate", posts)):
                        rate, ms, errors = measure(svc.port, reqs, seconds, 16)
                        print(f"round {r} parser={parser:7s} {name:18s} {rate:7.0f}/s  worker CPU {ms:.3f} ms/request  errors {errors}", flush=True)
                finally:
                    svc.stop()
    finally:
        redis.stop()
