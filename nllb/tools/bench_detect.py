"""`nllb bench-detect`: what language identification costs — identification throughput on one core, the
added latency of a lone `source_lang: "auto"` request, and the memory of every process with the model
loaded once per node."""

from __future__ import annotations

import http.client
import json
import statistics
import tempfile
import time
from pathlib import Path

from nllb.modeldir import ModelDirectory
from nllb.tools.bench import SENTENCES, TARGET
from nllb.tools.harness import Service
from nllb.translation.detection import LanguageDetector


def run(model_path: Path, lid_path: Path, workers: int, pairs: int, env: dict[str, str]) -> dict:
    result = {"lid_model": str(lid_path), "lid_model_bytes": lid_path.stat().st_size, "workers": workers}
    result["throughput"] = _throughput(LanguageDetector(lid_path, ModelDirectory.open(model_path).languages))
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(model_path, Path(tmp) / "service.log", {
            **env, "WORKERS": str(workers), "THREADS": "2", "LID_MODEL_PATH": str(lid_path)})
        try:
            service.start()
            result["lone"] = _lone(service, pairs)
            result["memory"] = _memory(service)
        finally:
            service.stop()
    return result


def _throughput(detector: LanguageDetector, seconds: float = 3.0) -> dict:
    texts = [text for _, text in SENTENCES]
    detector.detect(texts)
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        detector.detect(texts)
        done += len(texts)
    return {"texts_per_s_one_core": round(done / (time.perf_counter() - started))}


def _lone(service: Service, pairs: int) -> dict:
    """The same sentence with its language given and with "auto", in alternation, one at a time."""
    conn = http.client.HTTPConnection("127.0.0.1", service.port, timeout=60)
    headers = {"Content-Type": "application/json", **service.headers}
    timings: dict[str, list[float]] = {"explicit": [], "auto": []}
    for i in range(pairs + 1):
        language, text = SENTENCES[i % len(SENTENCES)]
        for kind, source in (("explicit", language), ("auto", "auto")):
            body = json.dumps({"text": text, "source_lang": source, "target_lang": TARGET, "quality": "fast"})
            started = time.perf_counter()
            conn.request("POST", "/translate", body, headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise RuntimeError(f"{kind} request failed: {resp.status}")
            if i:  # the first round warms the connection
                timings[kind].append(time.perf_counter() - started)
    return {
        "explicit_ms_p50": round(statistics.median(timings["explicit"]) * 1000, 2),
        "auto_ms_p50": round(statistics.median(timings["auto"]) * 1000, 2),
        "added_ms_p50": round(statistics.median([a - e for a, e in zip(timings["auto"], timings["explicit"])])
                              * 1000, 2),
        "pairs": pairs,
    }


def _memory(service: Service) -> dict:
    """Resident and proportional (PSS: shared pages divided among their sharers) memory per process, MiB."""
    rows = {}
    for name, row in service.processes().items():
        pid = int(name.split(":")[1])
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        fields = {line.split(":")[0]: int(line.split()[1]) for line in rollup[1:]}
        rows[name] = {"rss_mib": round(fields["Rss"] / 1024, 1), "pss_mib": round(fields["Pss"] / 1024, 1)}
    workers = [r for name, r in rows.items() if name.startswith("worker:")]
    return {
        "processes": rows,
        "worker_pss_mib_mean": round(statistics.mean(r["pss_mib"] for r in workers), 1),
        "worker_rss_mib_mean": round(statistics.mean(r["rss_mib"] for r in workers), 1),
        "total_pss_mib": round(sum(r["pss_mib"] for r in rows.values()), 1),
    }


def report(result: dict) -> str:
    memory, lone = result["memory"], result["lone"]
    return "\n".join([
        f"LID model {result['lid_model']} ({result['lid_model_bytes'] / 2**20:.0f} MiB), {result['workers']} workers",
        f"identification: {result['throughput']['texts_per_s_one_core']} texts/s on one core",
        f"lone request: explicit p50 {lone['explicit_ms_p50']} ms, auto p50 {lone['auto_ms_p50']} ms, "
        f"added p50 {lone['added_ms_p50']} ms ({lone['pairs']} pairs)",
        f"memory: workers RSS {memory['worker_rss_mib_mean']} MiB and PSS {memory['worker_pss_mib_mean']} MiB each "
        f"(mean), all processes PSS {memory['total_pss_mib']} MiB",
        *(f"  {name}: RSS {row['rss_mib']} MiB, PSS {row['pss_mib']} MiB" for name, row in memory["processes"].items()),
    ])
