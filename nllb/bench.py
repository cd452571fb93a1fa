"""`nllb bench`: the service against the raw CTranslate2 ceiling, on this machine.

Raw figures come from `translate_batch` in this process, with the same model,
token sequences and decoding options the service uses; then the real service
(gunicorn, workers, engine) is started and driven by a load generator of
several processes with keep-alive connections. Every server figure is reported
next to the raw one at the same number of sentences in flight.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import multiprocessing
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from nllb.config import Settings
from nllb.modeldir import ModelDirectory
from nllb.translation import QUALITY_BEAMS, decoding_limit

# Sentences of typical length in several scripts; every request carries one.
SENTENCES = [
    ("eng_Latn", "The weather is nice today, so we are going to walk to the market and buy some bread."),
    ("fra_Latn", "La bibliothèque ouvre à neuf heures du matin et ferme à six heures du soir."),
    ("deu_Latn", "Wie viel kostet eine Fahrkarte ins Stadtzentrum? Der nächste Zug fährt bald."),
    ("rus_Cyrl", "Сегодня хорошая погода, поэтому мы пойдём пешком на рынок и купим хлеб."),
    ("zho_Hans", "今天天气很好，所以我们要走路去市场买面包、奶酪和新鲜水果。"),
    ("spa_Latn", "Hoy hace buen tiempo, así que vamos a caminar hasta el mercado para comprar pan."),
    ("arb_Arab", "الطقس جميل اليوم، لذلك سنمشي إلى السوق لنشتري الخبز والجبن والفواكه الطازجة."),
    ("hin_Deva", "आज मौसम अच्छा है, इसलिए हम बाज़ार तक पैदल जाएँगे और रोटी खरीदेंगे।"),
]
TARGET = "por_Latn"


@dataclasses.dataclass
class Options:
    model_path: Path
    concurrency: list[int]
    duration: float
    quality: str
    texts_per_request: int
    workers: int
    threads: int
    clients: int
    lone_requests: int
    env: dict[str, str]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def raw_ceiling(opts: Options, settings: Settings) -> dict:
    """translate_batch directly: batch-1 latency and throughput at each batch size."""
    from nllb.engine.model import Model
    from nllb.tokenizer import Tokenizer

    directory = ModelDirectory.open(opts.model_path)
    model = Model(directory, settings)
    tokenizer = Tokenizer(directory, settings.max_input_tokens)
    sources = [tokenizer.encode([text], lang)[0][0] for lang, text in SENTENCES]
    token_lists = [[directory.vocabulary[i] for i in s] for s in sources]
    limits = [decoding_limit(len(s), settings.max_decoding_length) for s in sources]
    beam = QUALITY_BEAMS[opts.quality]

    def run(batch: int) -> tuple[float, int]:
        picks = [i % len(sources) for i in range(batch)]
        limit = max(limits[i] for i in picks)
        started = time.perf_counter()
        outputs = model.translate([token_lists[i] for i in picks], [[TARGET]] * batch, beam, limit)
        return time.perf_counter() - started, sum(len(o) for o in outputs)

    run(1)  # warm-up
    lone = [run(1)[0] for _ in range(opts.lone_requests)]
    result = {
        "device": model.placement.name,
        "compute_type": model.placement.compute_type,
        "batch1_latency_ms": {"p50": statistics.median(lone) * 1000, "p99": percentile(lone, 0.99) * 1000},
        "throughput": {},
    }
    for batch in sorted(set([1] + opts.concurrency)):
        elapsed, tokens, runs = 0.0, 0, 0
        while elapsed < min(opts.duration, 5.0) or runs < 2:
            seconds, produced = run(batch)
            elapsed, tokens, runs = elapsed + seconds, tokens + produced, runs + 1
        result["throughput"][str(batch)] = {
            "sentences_per_s": batch * runs / elapsed,
            "target_tokens_per_s": tokens / elapsed,
        }
    return result


def _client_process(port: int, threads: int, duration: float, texts: int, quality: str, queue) -> None:
    """One load-generator process: `threads` keep-alive connections in a closed loop."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def loop(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        n = index
        while time.monotonic() < stop_at:
            lang, _ = SENTENCES[n % len(SENTENCES)]
            chosen = [SENTENCES[(n + k) % len(SENTENCES)][1] for k in range(texts)]
            body = json.dumps({
                "text": chosen[0] if texts == 1 else chosen,
                "source_lang": lang if texts == 1 else SENTENCES[n % len(SENTENCES)][0],
                "target_lang": TARGET, "quality": quality,
            }).encode()
            n += 1
            started = time.perf_counter()
            try:
                conn.request("POST", "/translate", body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except OSError:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            with lock:
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors[0] += 1

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    queue.put((latencies, errors[0]))


def drive(port: int, concurrency: int, opts: Options, texts: int) -> dict:
    processes = max(1, min(opts.clients, concurrency))
    shares = [concurrency // processes + (1 if i < concurrency % processes else 0) for i in range(processes)]
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=_client_process, args=(port, share, opts.duration, texts, opts.quality, queue))
        for share in shares
    ]
    for p in procs:
        p.start()
    latencies, errors = [], 0
    for _ in procs:
        got, failed = queue.get()
        latencies += got
        errors += failed
    for p in procs:
        p.join()
    return {
        "concurrency": concurrency,
        "texts_per_request": texts,
        "requests": len(latencies),
        "errors": errors,
        "sentences_per_s": len(latencies) * texts / opts.duration,
        "latency_ms": {"p50": percentile(latencies, 0.5) * 1000, "p99": percentile(latencies, 0.99) * 1000},
    }


class _Service:
    def __init__(self, opts: Options, log: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = {
            **os.environ, **opts.env,
            "MODEL_PATH": str(opts.model_path), "HOST": "127.0.0.1", "PORT": str(self.port),
            "WORKERS": str(opts.workers), "THREADS": str(opts.threads),
        }
        self.log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nllb", "serve"], env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 600) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError("the service exited; see its log")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/health/ready")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError("the service did not become ready")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def lone_latency(port: int, count: int, quality: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times = []
    for i in range(count + 1):
        lang, text = SENTENCES[i % len(SENTENCES)]
        body = json.dumps({"text": text, "source_lang": lang, "target_lang": TARGET, "quality": quality}).encode()
        started = time.perf_counter()
        conn.request("POST", "/translate", body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        if i:  # the first request warms the connection
            times.append(time.perf_counter() - started)
    return {"p50": statistics.median(times) * 1000, "p99": percentile(times, 0.99) * 1000}


def run(opts: Options) -> dict:
    os.environ.update(opts.env)
    settings = Settings.from_env()
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "host": {"machine": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "model": str(opts.model_path),
        "quality": opts.quality,
        "workers": opts.workers,
        "threads": opts.threads,
        "duration_s": opts.duration,
        "env": opts.env,
    }
    import ctranslate2

    result["ctranslate2"] = ctranslate2.__version__
    print("measuring raw translate_batch ...", file=sys.stderr, flush=True)
    result["raw"] = raw_ceiling(opts, settings)
    with tempfile.TemporaryDirectory() as tmp:
        service = _Service(opts, Path(tmp) / "service.log")
        try:
            service.wait_ready()
            print("measuring the service ...", file=sys.stderr, flush=True)
            lone = lone_latency(service.port, opts.lone_requests, opts.quality)
            result["server_lone_latency_ms"] = lone
            result["overhead_ms_p50"] = lone["p50"] - result["raw"]["batch1_latency_ms"]["p50"]
            runs = []
            for concurrency in opts.concurrency:
                measured = drive(service.port, concurrency, opts, 1)
                raw = result["raw"]["throughput"][str(concurrency)]["sentences_per_s"]
                measured["ratio_to_raw"] = measured["sentences_per_s"] / raw
                runs.append(measured)
                print(f"  {concurrency:4d} concurrent: {measured['sentences_per_s']:.1f} sentences/s "
                      f"({measured['ratio_to_raw']:.0%} of raw)", file=sys.stderr, flush=True)
            if opts.texts_per_request > 1:
                for concurrency in opts.concurrency:
                    runs.append(drive(service.port, concurrency, opts, opts.texts_per_request))
            result["server"] = runs
        finally:
            service.stop()
    return result


def report(result: dict) -> str:
    raw = result["raw"]
    lines = [
        f"device {raw['device']} ({raw['compute_type']}), quality {result['quality']}, "
        f"ctranslate2 {result['ctranslate2']}, {result['workers']} workers x {result['threads']} threads",
        f"lone request: server p50 {result['server_lone_latency_ms']['p50']:.2f} ms, "
        f"raw batch-1 p50 {raw['batch1_latency_ms']['p50']:.2f} ms, overhead {result['overhead_ms_p50']:.2f} ms",
        "",
        "| in flight | texts/request | server sentences/s | raw sentences/s | ratio | p50 ms | p99 ms | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in result["server"]:
        raw_rate = raw["throughput"].get(str(run["concurrency"] * run["texts_per_request"]), raw["throughput"].get(str(run["concurrency"])))
        raw_s = raw_rate["sentences_per_s"] if raw_rate else float("nan")
        lines.append(
            f"| {run['concurrency']} | {run['texts_per_request']} | {run['sentences_per_s']:.1f} | {raw_s:.1f} | "
            f"{run['sentences_per_s'] / raw_s:.2f} | {run['latency_ms']['p50']:.1f} | {run['latency_ms']['p99']:.1f} | {run['errors']} |"
        )
    return "\n".join(lines)
