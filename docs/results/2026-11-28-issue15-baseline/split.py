"""Worker CPU per request (user + system, all threads, over the load) through the real service, 2 workers x 32
threads, 16 in flight, one load process: GET /health/live and cached POST /translate (Redis limits and cache on);
then the same POSTs to nllb bench-cache's bare Falcon app under stock gthread, same workers and threads."""
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

def measure(port, requests, seconds, inflight, title="nllb: worker"):
    loadgen.closed_loop(port, inflight, 1.0, requests)
    t0 = worker_ticks(title)
    tally = loadgen.closed_loop(port, inflight, seconds, requests)
    t1 = worker_ticks(title)
    n = len(tally.latencies)
    return n / seconds, (t1 - t0) * 10 / max(n, 1), tally.errors

model, seconds = Path(sys.argv[1]), float(sys.argv[2])
with tempfile.TemporaryDirectory() as tmp:
    redis = RedisServer(Path(tmp)).start()
    svc = Service(model, Path(tmp) / "s.log", {"WORKERS": "2", "THREADS": "32", "MAX_DECODING_LENGTH": "8",
                                                "REDIS_URL": redis.url, "LOG_LEVEL": "info", "LOG_FORMAT": "json"}).start()
    try:
        headers = {"Content-Type": "application/json", **svc.headers}
        live = [f"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".encode()]
        posts = [loadgen.encode_post("/translate", b, headers) for b in request_bodies(1, "fast")]
        kinds = (("GET /health/live", live), ("cached /translate", posts), ("GET /health/live", live),
                 ("cached /translate", posts))
        for name, reqs in kinds:
            rate, ms, errors = measure(svc.port, reqs, seconds, 16)
            print(f"{name:20s} {rate:7.0f}/s  worker CPU {ms:.3f} ms/request  errors {errors}")
    finally:
        svc.stop(); redis.stop()
    # stock gthread and a bare Falcon app (nllb bench-cache's baseline), same workers and threads
    from nllb.tools.bench_cache import BareFalcon
    bare = BareFalcon(2, 32, Path(tempfile.mkdtemp()) / "bare.log")
    try:
        time.sleep(1)
        for _ in range(2):
            rate, ms, errors = measure(bare.port, posts, seconds, 16, "gunicorn: worker")
            print(f"{'bare Falcon (stock)':20s} {rate:7.0f}/s  worker CPU {ms:.3f} ms/request  errors {errors}")
    finally:
        bare.stop()
