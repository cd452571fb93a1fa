"""`nllb bench-cache`: fully cached requests against a bare Falcon app, same gunicorn settings.

Both run with the same workers and threads and are driven by the same load
generator with the same request bodies; the service has auth and rate limiting
on and a real Redis. The figures: requests per second of each, their ratio,
and the service's own time per cached request (its X-Response-Time); then,
one at a time, cached requests of LIST_TEXTS texts against single texts: the
service's time per text, which says what a request costs beyond its texts.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nllb.tools.bench import drive, request_bodies
from nllb.tools.harness import RedisServer, Service, free_port

LIST_TEXTS = 64


def run(model_path: Path, workers: int, threads: int, concurrency: list[int], duration: float, clients: int,
        env: dict[str, str]) -> dict:
    bodies = request_bodies(1, "fast")
    result = {"workers": workers, "threads": threads, "duration_s": duration, "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(Path(tmp)).start()
        try:
            service = Service(model_path, Path(tmp) / "service.log",
                              {**env, "WORKERS": str(workers), "THREADS": str(threads), "REDIS_URL": redis.url})
            try:
                service.start()
                drive(service.port, 1, 2.0, 1, bodies, service.headers)  # fills the cache
                served = [drive(service.port, c, duration, clients, bodies, service.headers) for c in concurrency]
                lists = request_bodies(LIST_TEXTS, "fast")
                drive(service.port, 1, 2.0, 1, lists, service.headers)
                result["per_text"] = {
                    "single": drive(service.port, 1, duration, 1, bodies, service.headers),
                    "list": drive(service.port, 1, duration, 1, lists, service.headers, LIST_TEXTS),
                }
            finally:
                service.stop()
            bare = BareFalcon(workers, threads, Path(tmp) / "bare.log")
            try:
                baseline = [drive(bare.port, c, duration, clients, bodies, service.headers) for c in concurrency]
            finally:
                bare.stop()
        finally:
            redis.stop()
    for c, s, b in zip(concurrency, served, baseline):
        result["runs"].append({"concurrency": c, "service": s, "bare_falcon": b,
                               "ratio": s["requests_per_s"] / b["requests_per_s"]})
    return result


class BareFalcon:
    """The baseline: nllb.tools.benchapp under stock gunicorn, with the service's workers and threads."""

    def __init__(self, workers: int, threads: int, log: Path):
        self.port = free_port()
        # An explicit configuration (the app module, which sets nothing): without -c, gunicorn reads
        # ./gunicorn.conf.py, and from a checkout of nllb that is nllb's own — its hooks started an engine
        # beside the baseline and loaded a model while it was measured.
        command = [sys.executable, "-m", "gunicorn", "-c", "python:nllb.tools.benchapp",
                   "--workers", str(workers), "--threads", str(threads),
                   "--worker-class", "gthread" if threads > 1 else "sync", "--bind", f"127.0.0.1:{self.port}",
                   "--keep-alive", "5", "--log-level", "warning", "nllb.tools.benchapp:app"]
        self.log = log.open("wb")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError("the bare app did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)
        self.log.close()


def report(result: dict) -> str:
    lines = [
        f"{result['workers']} workers x {result['threads']} threads, {result['duration_s']:g} s per level",
        "",
        "| in flight | service req/s | bare Falcon req/s | ratio | service p50 ms (client) | service time p50 ms (server) | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in result["runs"]:
        s, b = run["service"], run["bare_falcon"]
        lines.append(
            f"| {run['concurrency']} | {s['requests_per_s']:.0f} | {b['requests_per_s']:.0f} | {run['ratio']:.2f} | "
            f"{s['latency_ms']['p50']:.2f} | {s['server_ms']['p50']:.3f} | {s['errors'] + b['errors']} |"
        )
    single, listed = result["per_text"]["single"], result["per_text"]["list"]
    one, each = single["server_ms"]["p50"], listed["server_ms"]["p50"] / LIST_TEXTS
    lines += [
        "",
        "| cached request, 1 in flight | service time p50 ms (server) | per text ms | per text / single text |",
        "|---|---:|---:|---:|",
        f"| 1 text | {one:.3f} | {one:.3f} | 1.00 |",
        f"| {LIST_TEXTS} texts | {listed['server_ms']['p50']:.3f} | {each:.4f} | {each / one:.2f} |",
    ]
    return "\n".join(lines)
