"""`nllb bench`: the service against the raw CTranslate2 ceiling, on this machine.

Raw figures come from `translate_batch` in this process, with the same model,
token sequences and decoding options the service uses; then the real service
(gunicorn, workers, engine) is started and driven by a load generator of
several processes with keep-alive connections. Every server figure is reported
next to the raw one at the same number of sentences in flight.
"""

from __future__ import annotations

import collections
import dataclasses
import http.client
import json
import multiprocessing
import os
import platform
import queue as queues
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from nllb.config import QUALITY_BEAMS, Settings
from nllb.modeldir import ModelDirectory
from nllb.tools import loadgen
from nllb.tools.harness import Service
from nllb.translation.service import decoding_limit

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
    texts_concurrency: list[int]
    duration: float
    quality: str
    texts_per_request: int
    workers: int | None  # None: the service's own default for this machine
    threads: int | None
    clients: int
    lone_requests: int
    env: dict[str, str]
    open_loop: list[float] = dataclasses.field(default_factory=list)  # offered rates, as shares of the raw maximum
    rounds: int = 1  # turns the raw ceiling and the service take at each closed-loop level


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class RawCeiling:
    """translate_batch in this process: same model, token sequences and options as the service."""

    def __init__(self, model_path: Path, settings: Settings, quality: str):
        from nllb.engine.model import Model
        from nllb.translation.segmentation import segment
        from nllb.translation.tokenizer import Tokenizer

        directory = ModelDirectory.open(model_path)
        self.model = Model(directory, settings)
        tokenizer = Tokenizer(directory, settings.max_input_tokens)
        # Each text as the rows the service sends the device: one per sentence (one text here is two), each
        # with its own length limit. Encoded whole, the ceiling decoded 8 rows where the service decodes 9.
        self.rows = [
            [([directory.vocabulary[i] for i in ids], decoding_limit(len(ids), settings.max_decoding_length))
             for chunks in tokenizer.encode(segment(text, lang).sentences, lang) for ids in chunks]
            for lang, text in SENTENCES
        ]
        self.beam = QUALITY_BEAMS[quality]
        self.warmed: set[int] = set()  # batch sizes called once, outside any timing

    def run(self, batch: int, first: int = 0) -> tuple[float, int]:
        """Seconds and target tokens for `batch` sentences from sentence `first`, with the options the service uses.

        Greedy: one call to the longest length limit. Beam search: one call per
        length limit, since a beam call has one limit for all its sentences.
        """
        rows = [row for i in range(batch) for row in self.rows[(first + i) % len(self.rows)]]
        groups = {0: rows} if self.beam == 1 else {}
        if self.beam > 1:
            for row in rows:
                groups.setdefault(row[1], []).append(row)
        started = time.perf_counter()
        produced = 0
        for members in groups.values():
            limit = max(row_limit for _, row_limit in members)
            outputs = self.model.translate([tokens for tokens, _ in members], [[TARGET]] * len(members),
                                           self.beam, limit)
            produced += sum(len(o) for o in outputs)
        return time.perf_counter() - started, produced

    def rate(self, batch: int, seconds: float) -> dict:
        """Sentences and target tokens a second at `batch`, over at least `seconds` and two calls."""
        if batch not in self.warmed:
            # The first call at a new size grows CTranslate2's memory caches: on an H100 it
            # took twice as long as the calls after it (0.41 s against 0.20-0.22 s at 256).
            self.run(batch)
            self.warmed.add(batch)
        elapsed, tokens, runs = 0.0, 0, 0
        while elapsed < seconds or runs < 2:
            took, produced = self.run(batch)
            elapsed, tokens, runs = elapsed + took, tokens + produced, runs + 1
        return {"sentences_per_s": batch * runs / elapsed, "target_tokens_per_s": tokens / elapsed,
                "call_ms": elapsed / runs * 1000}


def engine_counters(port: int) -> dict[str, float]:
    """Batch counters from the service's /metrics: segments, batches and device seconds so far."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/metrics")
    wanted = {"batch_size_sum": 0.0, "batch_size_count": 0.0, "batch_device_seconds_sum": 0.0,
              "cohort_return_seconds_sum": 0.0, "cohort_return_seconds_count": 0.0}
    for line in conn.getresponse().read().decode().splitlines():
        name, _, value = line.partition(" ")
        if name in wanted:
            wanted[name] = float(value)
    return wanted


def with_engine_figures(service: "Service", measure) -> dict:
    """Run `measure()`, adding the engine's figures meanwhile and the CPU each process group used.

    Engine: the mean device batch, the device's busy share, and how long a
    batch's clients took to come back (the burst transit: from the engine
    answering a batch to those clients' next requests reaching it). CPU: cores
    used by the workers, the engine and the load generator (which reports its
    own), the workers' CPU per request, and the machine's idle share — so a
    reader can see where a cohort's time goes, and that the load generator is
    not the limit.
    """
    port = service.port
    before, cpu_before, idle_before = engine_counters(port), service.cpu_seconds(), machine_idle()
    started = time.monotonic()
    result = measure()
    elapsed = time.monotonic() - started  # the load ends when the last request in flight is answered
    after, cpu_after, idle_after = engine_counters(port), service.cpu_seconds(), machine_idle()
    batches = after["batch_size_count"] - before["batch_size_count"]
    result["mean_batch_size"] = (after["batch_size_sum"] - before["batch_size_sum"]) / batches if batches else 0.0
    device_seconds = after["batch_device_seconds_sum"] - before["batch_device_seconds_sum"]
    result["device_busy"] = device_seconds / elapsed
    result["batch_device_ms"] = device_seconds / batches * 1000 if batches else None
    cohorts = after["cohort_return_seconds_count"] - before["cohort_return_seconds_count"]
    result["burst_transit_ms"] = ((after["cohort_return_seconds_sum"] - before["cohort_return_seconds_sum"])
                                  / cohorts * 1000 if cohorts else None)
    cpu_used = {group: cpu_after[group] - cpu_before.get(group, 0.0) for group in cpu_after}
    result["cores_used"] = {group: round(seconds / elapsed, 2) for group, seconds in cpu_used.items()}
    result["cores_used"]["load_generator"] = round(result.pop("client_cpu_seconds") / elapsed, 2)
    # What decides how fast a batch's clients come back: each worker spends this on every request, and a
    # burst of them needs the whole box's cores (docs/PERFORMANCE.md, session 25).
    requests = result["requests"]
    result["worker_cpu_ms_per_request"] = round(cpu_used["workers"] / requests * 1000, 3) if requests else None
    idle, total = idle_after[0] - idle_before[0], idle_after[1] - idle_before[1]
    result["machine_idle"] = round(idle / total, 3) if total else None
    return result


def machine_idle() -> tuple[int, int]:
    """Idle and total jiffies of the whole machine so far (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return fields[3] + fields[4], sum(fields[:8])


def request_bodies(texts: int, quality: str) -> list[bytes]:
    """Translation requests over the benchmark sentences, `texts` sentences each."""
    bodies = []
    for n in range(len(SENTENCES)):
        chosen = [SENTENCES[(n + k) % len(SENTENCES)][1] for k in range(texts)]
        bodies.append(json.dumps({
            "text": chosen[0] if texts == 1 else chosen,
            "source_lang": SENTENCES[n][0],
            "target_lang": TARGET,
            "quality": quality,
        }).encode())
    return bodies


def _client_process(port: int, connections: int, duration: float, bodies: list[bytes], headers: dict, queue) -> None:
    """One load-generator process: `connections` keep-alive connections in a closed loop."""
    headers = {"Content-Type": "application/json", **headers}
    requests = [loadgen.encode_post("/translate", body, headers) for body in bodies]
    before = _own_cpu_seconds()  # not the process's start and imports: only what the load costs
    tally = loadgen.closed_loop(port, connections, duration, requests)
    queue.put((tally.latencies, tally.server_ms, dict(tally.failures), _own_cpu_seconds() - before))


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def drive(port: int, concurrency: int, duration: float, clients: int, bodies: list[bytes],
          headers: dict, texts: int = 1) -> dict:
    """Closed-loop load: `concurrency` requests in flight from up to `clients` processes."""
    processes = max(1, min(clients, concurrency))
    shares = [concurrency // processes + (1 if i < concurrency % processes else 0) for i in range(processes)]
    results = _in_processes(_client_process, [(port, share, duration, bodies, headers) for share in shares])
    latencies = [x for got, _, _, _ in results for x in got]
    server_ms = [x for _, took, _, _ in results for x in took]
    cpu = sum(used for _, _, _, used in results)
    return {
        "client_cpu_seconds": cpu,
        "concurrency": concurrency,
        "texts_per_request": texts,
        "requests": len(latencies),
        **_failures(failed for _, _, failed, _ in results),
        "requests_per_s": len(latencies) / duration,
        "sentences_per_s": len(latencies) * texts / duration,
        "latency_ms": {"p50": percentile(latencies, 0.5) * 1000, "p99": percentile(latencies, 0.99) * 1000},
        "server_ms": {"p50": percentile(server_ms, 0.5), "p99": percentile(server_ms, 0.99)},
    }


def _open_loop_process(port: int, rate: float, duration: float, senders: int, bodies: list[bytes],
                       headers: dict, seed: int, queue) -> None:
    """Poisson arrivals at `rate` per second, whatever the answers: latency counts from the scheduled time.

    Senders on keep-alive connections take the next arrival when free; when
    all are busy, arrivals wait, and that wait is part of their latency (no
    coordinated omission).
    """
    rng = random.Random(seed)
    arrivals: queues.SimpleQueue = queues.SimpleQueue()
    latencies: list[float] = []
    failures: collections.Counter = collections.Counter()
    lock = threading.Lock()
    headers = {"Content-Type": "application/json", **headers}
    start = time.monotonic() + 0.2
    at, n = start, 0
    while at < start + duration:
        arrivals.put((at, bodies[n % len(bodies)]))
        at += rng.expovariate(rate)
        n += 1
    for _ in range(senders):
        arrivals.put(None)

    def send() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while (item := arrivals.get()) is not None:
            scheduled, body = item
            time.sleep(max(0.0, scheduled - time.monotonic()))
            try:
                conn.request("POST", "/translate", body, headers)
                resp = conn.getresponse()
                resp.read()
                failure = None if resp.status == 200 else f"status {resp.status}"
            except OSError:
                failure = "connection failed"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            with lock:
                if failure is None:
                    latencies.append(time.monotonic() - scheduled)
                else:
                    failures[failure] += 1

    threads = [threading.Thread(target=send) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put((latencies, dict(failures), n, _own_cpu_seconds()))


def open_loop(port: int, rate: float, duration: float, clients: int, bodies: list[bytes], headers: dict) -> dict:
    """Open-loop load: `rate` requests per second offered from `clients` processes, independent of the answers."""
    results = _in_processes(_open_loop_process, [(port, rate / clients, duration, 256, bodies, headers, 1000 + i)
                                                 for i in range(clients)])
    latencies = [x for got, _, _, _ in results for x in got]
    offered = sum(sent for _, _, sent, _ in results)
    cpu = sum(used for _, _, _, used in results)
    return {
        "client_cpu_seconds": cpu,
        "offered_per_s": offered / duration,
        "requests": len(latencies),
        "achieved_per_s": len(latencies) / duration,
        **_failures(failed for _, failed, _, _ in results),
        "latency_ms": {"p50": percentile(latencies, 0.5) * 1000, "p99": percentile(latencies, 0.99) * 1000},
    }


def _in_processes(target, arguments: list[tuple]) -> list:
    """Run `target(*args, queue)` in a fresh process per argument tuple; what each put on the queue."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, queue)) for args in arguments]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    return results


def lone_overhead(raw: RawCeiling, service: "Service", count: int, quality: str) -> dict:
    """A lone request against a direct call on the same sentence, in alternation, so both see the same machine.

    Also against the engine's own device call for that request (from its
    batch log line): a direct call runs in this process, and a batch of one
    on a GPU is mostly the CPU launching kernels, so its time moves with the
    core each process runs on — on the H200 boxes by more than the service's
    whole overhead from one run to the next (docs/PERFORMANCE.md, session 29).
    """
    conn = http.client.HTTPConnection("127.0.0.1", service.port, timeout=120)
    bodies = request_bodies(1, quality)
    direct, served, ids = [], [], []
    for i in range(count + 1):
        took, _ = raw.run(1, first=i)
        request_id = f"bench-lone-{i}"
        started = time.perf_counter()
        conn.request("POST", "/translate", bodies[i % len(bodies)],
                     {"Content-Type": "application/json", "X-Request-ID": request_id, **service.headers})
        resp = conn.getresponse()
        resp.read()
        if i:  # the first round warms the connection
            direct.append(took)
            served.append(time.perf_counter() - started)
            ids.append(request_id)
    device = batch_device_seconds(service, ids)
    own = [(took - device[rid], device[rid]) for took, rid in zip(served, ids) if rid in device]
    return {
        "direct_ms": {"p50": statistics.median(direct) * 1000, "p99": percentile(direct, 0.99) * 1000},
        "server_ms": {"p50": statistics.median(served) * 1000, "p99": percentile(served, 0.99) * 1000},
        "overhead_ms_p50": statistics.median([s - d for s, d in zip(served, direct)]) * 1000,
        # None where the engine's batch lines are not logged (LOG_LEVEL above info, or LOG_FORMAT=text).
        "own_device_ms_p50": statistics.median(d for _, d in own) * 1000 if own else None,
        "overhead_over_own_device_ms_p50": statistics.median(o for o, _ in own) * 1000 if own else None,
    }


def batch_device_seconds(service: "Service", request_ids: list[str], wait: float = 2.0) -> dict[str, float]:
    """The device time of the batch that carried each of `request_ids` (alone), from the engine's log lines.

    The engine logs a batch after its answers are out, so the last may lag its response by a moment.
    """
    wanted, found = set(request_ids), {}
    deadline = time.monotonic() + wait
    while True:
        for line in service.log().splitlines():
            if '"batch"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:  # not one of nllb's JSON lines (a warning on stderr)
                continue
            if entry.get("event") == "batch":
                for request_id in wanted.intersection(entry["request_ids"]):
                    found[request_id] = entry["device_ms"] / 1000
        if len(found) == len(wanted) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


A = TypeVar("A")
B = TypeVar("B")


def taking_turns(turn: int, one: Callable[[], A], other: Callable[[], B]) -> tuple[A, B]:
    """Both measurements of round `turn`, `one` taken first in even rounds and `other` in odd ones."""
    if turn % 2 == 0:
        first = one()
        return first, other()
    second = other()
    return one(), second


def closed_loop_level(raw: RawCeiling, service: "Service", concurrency: int, opts: Options) -> dict:
    """The service against the raw ceiling at one level, in `opts.rounds` rounds that take turns going first.

    Raw and service rates on these machines drift by a tenth within a minute
    (docs/PERFORMANCE.md), so each round's ratio comes from the same minute,
    and the level reports its median round whole.
    """
    seconds, bodies = min(opts.duration, 5.0), request_bodies(1, opts.quality)
    rounds = []
    for turn in range(opts.rounds):
        ceiling, measured = taking_turns(turn, lambda: raw.rate(concurrency, seconds), lambda: with_engine_figures(
            service, lambda: drive(service.port, concurrency, opts.duration, opts.clients, bodies, service.headers)))
        measured.update(raw=ceiling, ratio_to_raw=measured["sentences_per_s"] / ceiling["sentences_per_s"],
                        raw_first=turn % 2 == 0)
        rounds.append(measured)
    median = sorted(rounds, key=lambda r: r["ratio_to_raw"])[(len(rounds) - 1) // 2]
    median["rounds"] = [
        {"sentences_per_s": r["sentences_per_s"], "raw_sentences_per_s": r["raw"]["sentences_per_s"],
         "ratio_to_raw": r["ratio_to_raw"], "raw_first": r["raw_first"]}
        for r in rounds
    ]
    return median


def run(opts: Options) -> dict:
    os.environ.update(opts.env)
    settings = Settings.from_env()
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "host": {"machine": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "model": str(opts.model_path),
        "quality": opts.quality,
        "workers": opts.workers or settings.workers,
        "threads": opts.threads or settings.threads,
        "duration_s": opts.duration,
        "env": opts.env,
    }
    import ctranslate2

    result["ctranslate2"] = ctranslate2.__version__
    raw = RawCeiling(opts.model_path, settings, opts.quality)
    result["raw"] = {"device": raw.model.placement.name, "compute_type": raw.model.placement.compute_type,
                     "throughput": {}}
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(opts.model_path, Path(tmp) / "service.log", {
            **opts.env,
            **({"WORKERS": str(opts.workers)} if opts.workers else {}),
            **({"THREADS": str(opts.threads)} if opts.threads else {}),
        })
        try:
            service.start()
            # PIN_WORKERS=auto decides by the machine: a result says what it got.
            result["workers_pinned"] = all(len(os.sched_getaffinity(pid)) == 1 for pid in service.pids("worker"))
            print("measuring the service ...", file=sys.stderr, flush=True)
            result["lone"] = lone_overhead(raw, service, opts.lone_requests, opts.quality)
            runs = []
            for concurrency in opts.concurrency:
                measured = closed_loop_level(raw, service, concurrency, opts)
                result["raw"]["throughput"][str(concurrency)] = measured.pop("raw")
                runs.append(measured)
                print(f"  {concurrency:4d} concurrent: {measured['sentences_per_s']:.1f} sentences/s "
                      f"({measured['ratio_to_raw']:.0%} of raw)", file=sys.stderr, flush=True)
            if opts.texts_per_request > 1:
                bodies = request_bodies(opts.texts_per_request, opts.quality)
                for concurrency in opts.texts_concurrency:
                    runs.append(with_engine_figures(service, lambda: drive(
                        service.port, concurrency, opts.duration, opts.clients, bodies, service.headers,
                        opts.texts_per_request)))
            result["server"] = runs
            ceiling = max(r["sentences_per_s"] for r in result["raw"]["throughput"].values())
            result["open_loop"] = []
            for share in opts.open_loop:
                measured = with_engine_figures(service, lambda: open_loop(
                    service.port, share * ceiling, opts.duration, opts.clients, request_bodies(1, opts.quality),
                    service.headers))
                measured.update(share_of_raw_max=share, raw_max_per_s=ceiling)
                result["open_loop"].append(measured)
                print(f"  open loop at {share:.0%} of raw max: {measured['achieved_per_s']:.1f} of "
                      f"{measured['offered_per_s']:.1f}/s, p99 {measured['latency_ms']['p99']:.0f} ms",
                      file=sys.stderr, flush=True)
        finally:
            service.stop()
    return result


def _over_own(lone: dict) -> str:
    if lone["own_device_ms_p50"] is None:
        return "over its own device call: not measured (the engine logs its batches at LOG_LEVEL=info, LOG_FORMAT=json)"
    return (f"over its own device call ({lone['own_device_ms_p50']:.2f} ms p50) "
            f"{lone['overhead_over_own_device_ms_p50']:.2f} ms")


def report(result: dict) -> str:
    raw = result["raw"]
    lines = [
        f"device {raw['device']} ({raw['compute_type']}), quality {result['quality']}, "
        f"ctranslate2 {result['ctranslate2']}, {result['workers']} workers x {result['threads']} threads "
        f"({'each on a core of its own' if result['workers_pinned'] else 'free to move between cores'}), "
        f"outputs capped at {result['env'].get('MAX_DECODING_LENGTH', 'the model default')} tokens",
        f"lone request: server p50 {result['lone']['server_ms']['p50']:.2f} ms, "
        f"direct call p50 {result['lone']['direct_ms']['p50']:.2f} ms, "
        f"overhead p50 {result['lone']['overhead_ms_p50']:.2f} ms (paired, same sentence); {_over_own(result['lone'])}",
        "",
        "| in flight | texts/request | server sentences/s | raw sentences/s | ratio | p50 ms | p99 ms | mean batch "
        "| device ms a batch (raw call) | device busy | burst transit ms | cores: workers / engine / load "
        "| worker CPU ms/request | machine idle | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in result["server"]:
        raw_rate = raw["throughput"].get(str(run["concurrency"] * run["texts_per_request"]),
                                         raw["throughput"].get(str(run["concurrency"])))
        raw_s = raw_rate["sentences_per_s"] if raw_rate else float("nan")
        raw_call = f" ({raw_rate['call_ms']:.1f})" if raw_rate else ""
        lines.append(
            f"| {run['concurrency']} | {run['texts_per_request']} | {run['sentences_per_s']:.1f} | {raw_s:.1f} | "
            f"{_ratio(run, raw_s)} | {run['latency_ms']['p50']:.1f} | {run['latency_ms']['p99']:.1f} | "
            f"{run['mean_batch_size']:.1f} | {_ms(run['batch_device_ms'])}{raw_call} | {run['device_busy']:.0%} | "
            f"{_ms(run['burst_transit_ms'])} | "
            f"{_cores(run)} | {_ms(run['worker_cpu_ms_per_request'], 2)} | {run['machine_idle']:.0%} | {_errors(run)} |"
        )
    if result.get("open_loop"):
        lines += [
            "",
            "| open loop: offered share of raw max | offered/s | achieved/s | p50 ms | p99 ms | mean batch "
            "| device busy | cores: workers / engine / load | worker CPU ms/request | machine idle | errors |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for run in result["open_loop"]:
            lines.append(
                f"| {run['share_of_raw_max']:.0%} | {run['offered_per_s']:.1f} | {run['achieved_per_s']:.1f} | "
                f"{run['latency_ms']['p50']:.1f} | {run['latency_ms']['p99']:.1f} | {run['mean_batch_size']:.1f} | "
                f"{run['device_busy']:.0%} | {_cores(run)} | {_ms(run['worker_cpu_ms_per_request'], 2)} | "
                f"{run['machine_idle']:.0%} | {_errors(run)} |"
            )
    return "\n".join(lines)


def _ratio(run: dict, raw_rate: float) -> str:
    """The ratio to raw; after several rounds, the median round's and then each round's: "0.88 (0.91 / 0.86 / 0.88)"."""
    ratio = f"{run['sentences_per_s'] / raw_rate:.2f}"
    rounds = run.get("rounds", [])
    if len(rounds) > 1:
        ratio += " (" + " / ".join(f"{r['ratio_to_raw']:.2f}" for r in rounds) + ")"
    return ratio


def _failures(per_process) -> dict:
    """The load processes' failures by kind, summed: `errors` and `error_kinds` of a run's result."""
    kinds = sum((collections.Counter(failed) for failed in per_process), collections.Counter())
    return {"errors": kinds.total(), "error_kinds": dict(kinds)}


def _errors(run: dict) -> str:
    """How many failed, and how: "3 (closed: 1, status 503: 2)"."""
    kinds = ", ".join(f"{kind}: {count}" for kind, count in sorted(run["error_kinds"].items()))
    return f"{run['errors']} ({kinds})" if kinds else str(run["errors"])


def _ms(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _cores(run: dict) -> str:
    cores = run["cores_used"]
    return f"{cores['workers']:.2f} / {cores['engine']:.2f} / {cores['load_generator']:.2f}"
