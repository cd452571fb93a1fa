"""`nllb soak`: a long run at mixed load, watching every process for leaks.

Starts the real service (tiny synthetic model, a private Redis when
redis-server is installed) and drives it with a mix of single and multi-text
translations, cache hits, validation errors and unauthorized requests, while
sampling each process's resident memory and open file descriptors, and the
shared-memory segments in /dev/shm. Memory is compared after a warm-up.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import threading
import time
from pathlib import Path

from nllb.tools.harness import RedisServer, Service


def _load(port: int, headers: dict, stop: threading.Event, counts: dict) -> None:
    import http.client

    rng = random.Random(os.getpid() ^ threading.get_ident())
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    words = "the weather market bread library morning evening ticket train platform report meeting".split()
    while not stop.is_set():
        kind = rng.random()
        if kind < 0.5:
            body = {"text": " ".join(rng.sample(words, 6)) + ".", "source_lang": "eng_Latn", "target_lang": "fra_Latn",
                    "quality": rng.choice(["fast", "balanced"])}
        elif kind < 0.7:
            body = {"text": [f"Line {rng.randint(0, 50)}. " + " ".join(rng.sample(words, 4)) for _ in range(8)],
                    "source_lang": "eng_Latn", "target_lang": "deu_Latn", "quality": "fast"}
        elif kind < 0.85:
            body = {"text": "Hello world.", "source_lang": "eng_Latn", "target_lang": "fra_Latn", "quality": "fast"}
        else:
            body = {"text": 5, "source_lang": "nope"}
        auth = headers if rng.random() > 0.05 else {"Authorization": "Bearer nllb_wrong"}
        try:
            conn.request("POST", "/translate", json.dumps(body).encode(), {"Content-Type": "application/json", **auth})
            resp = conn.getresponse()
            resp.read()
            counts[resp.status] = counts.get(resp.status, 0) + 1
        except OSError:
            counts["error"] = counts.get("error", 0) + 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)


def run(minutes: float, warmup_minutes: float, clients: int, model: Path) -> dict:
    shm_before = set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()
    with tempfile.TemporaryDirectory() as tmp:
        env = {"WORKERS": "2", "THREADS": "8", "COMPUTE_TYPE": "float32", "INTRA_THREADS": "1",
               "AUTH_FAILURE_LIMIT": "1000000", "LOG_LEVEL": "warning"}
        redis = RedisServer.if_installed(Path(tmp))
        if redis:
            env["REDIS_URL"] = redis.url
        service = Service(model, Path(tmp) / "service.log", env)
        try:
            service.start()
            stop = threading.Event()
            counts: dict = {}
            threads = [threading.Thread(target=_load, args=(service.port, service.headers, stop, counts))
                       for _ in range(clients)]
            for t in threads:
                t.start()
            samples = []
            started = time.monotonic()
            while time.monotonic() - started < minutes * 60:
                time.sleep(15)
                samples.append({"t": round(time.monotonic() - started), "processes": service.processes()})
            stop.set()
            for t in threads:
                t.join()
        finally:
            service.stop()
            if redis:
                redis.stop()
    shm_after = set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()
    warm = [s for s in samples if s["t"] >= warmup_minutes * 60]
    report = {}
    # Processes present from the end of the warm-up to the end; any other was replaced meanwhile.
    lasting = set(warm[0]["processes"]) & set(warm[-1]["processes"])
    replaced = sorted(set().union(*(s["processes"] for s in warm)) - lasting)
    for name in sorted(lasting):
        series = [s["processes"][name] for s in warm if name in s["processes"]]
        rss = [p["rss"] for p in series]
        fds = [p["fds"] for p in series]
        report[name] = {
            "rss_after_warmup_mb": round(rss[0] / 2**20, 1), "rss_end_mb": round(rss[-1] / 2**20, 1),
            "rss_max_growth": round(max(rss) / rss[0] - 1, 4), "fds_first": fds[0], "fds_last": fds[-1],
            "fds_max": max(fds), "samples": len(series),
        }
    return {"minutes": minutes, "warmup_minutes": warmup_minutes, "clients": clients, "responses": counts,
            "processes": report, "replaced_processes": replaced, "shm_new_entries": sorted(shm_after - shm_before),
            "samples": samples}
