"""`nllb bench-cache`: fully cached requests against a bare Falcon app, same gunicorn settings.

Both run with the same workers and threads and are driven by the same load
generator with the same request bodies; the service has auth and rate limiting
on and a real Redis. The figures: requests per second of each, their ratio,
and the service's own time per cached request (its X-Response-Time); then,
one at a time, cached requests of LIST_TEXTS texts against single texts: the
service's time per text, which says what a request costs beyond its texts.

Both servers run side by side, and each load level is driven in rounds that
take turns between them (service first, then the baseline first), the ratio
being the median of the rounds'. A machine whose speed drifts over minutes —
the 2-core VM's bare app moved between 4,800 and 7,100 requests/s within one
session — then moves both sides of a ratio alike: run one after the other,
the same code measured 0.34 to 0.97 (docs/PERFORMANCE.md, sessions 29-31).
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nllb.tools.bench import drive, request_bodies, taking_turns
from nllb.tools.harness import RedisServer, Service, free_port

LIST_TEXTS = 64


def run(model_path: Path, workers: int, threads: int, concurrency: list[int], duration: float, clients: int,
        env: dict[str, str], rounds: int = 3) -> dict:
    """Each level for `duration` seconds a server, in `rounds` turns; the service's per-text figures after."""
    bodies = request_bodies(1, "fast")
    result = {"workers": workers, "threads": threads, "duration_s": duration, "rounds": rounds, "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(Path(tmp)).start()
        service = Service(model_path, Path(tmp) / "service.log",
                          {**env, "WORKERS": str(workers), "THREADS": str(threads), "REDIS_URL": redis.url})
        bare = None
        try:
            service.start()
            bare = BareFalcon(workers, threads, Path(tmp) / "bare.log")
            drive(service.port, 1, 2.0, 1, bodies, service.headers)  # fills the cache
            for c in concurrency:
                served, baseline = [], []
                for turn in range(rounds):
                    ours, theirs = taking_turns(
                        turn, lambda: drive(service.port, c, duration / rounds, clients, bodies, service.headers),
                        lambda: drive(bare.port, c, duration / rounds, clients, bodies, service.headers))
                    served.append(ours)
                    baseline.append(theirs)
                ratios = [s["requests_per_s"] / b["requests_per_s"] for s, b in zip(served, baseline)]
                result["runs"].append({"concurrency": c, "service": _combined(served, duration),
                                       "bare_falcon": _combined(baseline, duration),
                                       "ratio": statistics.median(ratios), "ratios": ratios,
                                       "rounds": {"service": served, "bare_falcon": baseline}})
            lists = request_bodies(LIST_TEXTS, "fast")
            drive(service.port, 1, 2.0, 1, lists, service.headers)
            result["per_text"] = {
                "single": drive(service.port, 1, duration, 1, bodies, service.headers),
                "list": drive(service.port, 1, duration, 1, lists, service.headers, LIST_TEXTS),
            }
        finally:
            if bare is not None:
                bare.stop()
            service.stop()
            redis.stop()
    return result


def _combined(runs: list[dict], duration: float) -> dict:
    """One level's rounds on one server, `duration` seconds in all: requests and errors summed, latencies the
    median round's."""
    def median_of(key: str) -> dict:
        return {q: statistics.median(r[key][q] for r in runs) for q in ("p50", "p99")}

    requests = sum(r["requests"] for r in runs)
    return {
        "requests": requests,
        "requests_per_s": requests / duration,
        "errors": sum(r["errors"] for r in runs),
        "latency_ms": median_of("latency_ms"),
        "server_ms": median_of("server_ms"),
        "client_cpu_seconds": sum(r["client_cpu_seconds"] for r in runs),
    }


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
        f"{result['workers']} workers x {result['threads']} threads, {result['duration_s']:g} s per level and server, "
        f"in {result['rounds']} rounds taking turns",
        "",
        "| in flight | service req/s | bare Falcon req/s | ratio (median) | rounds' ratios | service p50 ms (client) "
        "| service time p50 ms (server) | errors |",
        "|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for run in result["runs"]:
        s, b = run["service"], run["bare_falcon"]
        lines.append(
            f"| {run['concurrency']} | {s['requests_per_s']:.0f} | {b['requests_per_s']:.0f} | {run['ratio']:.2f} | "
            f"{' / '.join(f'{r:.2f}' for r in run['ratios'])} | {s['latency_ms']['p50']:.2f} | "
            f"{s['server_ms']['p50']:.3f} | {s['errors'] + b['errors']} |"
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
