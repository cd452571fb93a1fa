"""`nllb siege`: normal clients beside an attacker, against the real service, on this machine.

First the normal clients alone (the baseline), then the same clients while an
attacker — in a process of its own, so it does not share their interpreter —
sends oversized lists, deeply nested JSON, long single words at the best
quality, floods of malformed credentials, request heads a byte at a time, and
stops the engine with SIGSTOP once. Reported: the normal clients' latency
with and without the attack, every status both sides saw (a 5xx other than
the documented 503 and 504 is a defect), each process's memory against its
idle size, and whatever is left behind once the service has stopped.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import random
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path

from nllb.tools.bench import percentile
from nllb.tools.harness import RedisServer, Service, process_table

NORMAL_WORDS = "the weather market bread library morning evening ticket train platform report meeting".split()
ATTACKER_ADDRESSES = [f"203.0.113.{i}" for i in range(1, 9)]  # sent as X-Forwarded-For; loopback is a trusted proxy


def _normal_client(port: int, headers: dict, stop: threading.Event, record: list) -> None:
    rng = random.Random(threading.get_ident())
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    while not stop.is_set():
        if rng.random() < 0.7:
            text = " ".join(rng.sample(NORMAL_WORDS, 6)) + "."
        else:
            text = [f"Line {rng.randint(0, 50)}. " + " ".join(rng.sample(NORMAL_WORDS, 4)) for _ in range(4)]
        body = {"text": text, "source_lang": "eng_Latn", "target_lang": "fra_Latn",
                "quality": rng.choice(["fast", "balanced"])}
        started = time.monotonic()
        try:
            conn.request("POST", "/translate", json.dumps(body).encode(), {"Content-Type": "application/json", **headers})
            resp = conn.getresponse()
            resp.read()
            status = resp.status
        except OSError:
            status = "connection_error"
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        record.append((started, time.monotonic() - started, status))


# The attacker: each kind a thread looping until the end; every status it gets is counted.

def _post(port: int, body: bytes, headers: dict, timeout: float = 120) -> int | str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/translate", body, {"Content-Type": "application/json", **headers})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    except OSError:
        return "connection_error"
    finally:
        conn.close()


def _attack(port: int, token: str, seconds: float, queue) -> None:
    stop_at = time.monotonic() + seconds
    counts: dict[str, dict] = {}
    lock = threading.Lock()
    auth = {"Authorization": f"Bearer {token}"}

    def count(kind: str, status) -> None:
        with lock:
            counts.setdefault(kind, {})[str(status)] = counts.setdefault(kind, {}).get(str(status), 0) + 1

    def repeat(kind: str, pause: float, send) -> None:
        while time.monotonic() < stop_at:
            count(kind, send())
            time.sleep(pause)

    huge = json.dumps({"text": [0] * 1_000_000, "source_lang": "eng_Latn", "target_lang": "fra_Latn"}).encode()
    deep = b'{"text": ' + b"[" * 1000 + b"]" * 1000 + b', "source_lang": "eng_Latn", "target_lang": "fra_Latn"}'
    word = json.dumps({"text": "x" + "ab" * 9_999, "source_lang": "eng_Latn", "target_lang": "fra_Latn",
                       "quality": "best"}).encode()
    rng = random.Random(7)

    def malformed() -> int | str:
        return _post(port, b"{}", {"Authorization": "Basic x", "X-Forwarded-For": rng.choice(ATTACKER_ADDRESSES)}, 30)

    def slow_head() -> str:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
                for byte in b"POST /translate HTTP/1.1\r\nHost: nllb\r\nContent-Type: application/json\r\n" * 4:
                    sock.sendall(bytes([byte]))
                    time.sleep(1)
                    if time.monotonic() > stop_at:
                        return "gave_up"
            return "sent_whole_head"
        except OSError:
            return "closed_by_server"

    attackers = [
        ("oversized_list", 1.0, lambda: _post(port, huge, auth)),
        ("deep_nesting", 0.5, lambda: _post(port, deep, auth)),
        ("long_single_word", 2.0, lambda: _post(port, word, auth)),
        *[("malformed_auth", 0.01, malformed) for _ in range(4)],
        *[("slow_head", 0.0, slow_head) for _ in range(32)],
    ]
    threads = [threading.Thread(target=repeat, args=attacker, daemon=True) for attacker in attackers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, stop_at - time.monotonic()) + 130)
    queue.put(counts)


def _phase(record: list, since: float, until: float) -> dict:
    """The normal clients' latency and statuses for requests sent in [since, until)."""
    took, statuses = [], {}
    for started, seconds, status in record:
        if since <= started < until:
            took.append(seconds)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {"requests": len(took), "p50_ms": round(percentile(took, 0.5) * 1000, 1),
            "p99_ms": round(percentile(took, 0.99) * 1000, 1), "max_ms": round(max(took, default=0) * 1000, 1),
            "statuses": dict(sorted(statuses.items()))}


def _nllb_processes() -> list[str]:
    """Every process titled `nllb: …` on this machine."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        if entry.name.isdigit() and title.startswith("nllb: "):
            found.append(f"{entry.name} {title}")
    return found


def run(baseline_minutes: float, attack_minutes: float, clients: int, model: Path, stop_engine_after: float,
        env: dict[str, str]) -> dict:
    shm_before = set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()
    metrics_before = set(Path(tempfile.gettempdir()).glob("nllb-metrics-*"))
    with tempfile.TemporaryDirectory() as tmp:
        env = {"WORKERS": "2", "THREADS": "8", "COMPUTE_TYPE": "float32", "INTRA_THREADS": "1",
               "LOG_LEVEL": "warning", **env}
        redis = RedisServer.if_installed(Path(tmp))
        if redis:
            env["REDIS_URL"] = redis.url
        service = Service(model, Path(tmp) / "service.log", env)
        try:
            service.start()
            stop = threading.Event()
            record: list = []
            normal = [threading.Thread(target=_normal_client, args=(service.port, service.headers, stop, record))
                      for _ in range(clients)]
            started = time.monotonic()
            for thread in normal:
                thread.start()
            time.sleep(baseline_minutes * 60)
            idle = service.processes()
            attack_started = time.monotonic()
            ctx = multiprocessing.get_context("spawn")
            queue = ctx.Queue()
            attacker = ctx.Process(target=_attack, args=(service.port, service.headers["Authorization"][7:],
                                                          attack_minutes * 60, queue))
            attacker.start()
            peaks: dict[str, dict] = {}
            stopped_engine = None
            while time.monotonic() - attack_started < attack_minutes * 60:
                time.sleep(5)
                if stopped_engine is None and time.monotonic() - attack_started >= stop_engine_after:
                    stopped_engine = _stop_engine(service.process.pid)
                for name, row in service.processes().items():
                    peak = peaks.setdefault(name, dict(row))
                    if row["rss"] >= peak["rss"]:
                        peak.update(rss=row["rss"], breakdown=_memory_breakdown(int(name.split(":")[1])))
            attack_ended = time.monotonic()
            stop.set()
            for thread in normal:
                thread.join()
            attack_counts = queue.get(timeout=300)
            attacker.join()
            queue.close()
            queue.join_thread()
            del queue  # its semaphores live in /dev/shm until it is gone
            service_log = Path(tmp) / "service.log"
            tracebacks = service_log.read_text(errors="replace").count("Traceback")
        finally:
            service.stop()
            if redis:
                redis.stop()
    time.sleep(1)
    shm_after = set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()
    memory = {}
    for name, row in peaks.items():
        base = idle.get(name)
        memory[name] = {"idle_mb": round(base["rss"] / 2**20, 1) if base else None,
                        "peak_mb": round(row["rss"] / 2**20, 1), "peak_breakdown_mb": row.get("breakdown"),
                        "peak_over_idle": round(row["rss"] / base["rss"], 2) if base else None}
    baseline = _phase(record, started, attack_started)
    attacked = _phase(record, attack_started, attack_ended)
    return {
        "baseline_minutes": baseline_minutes, "attack_minutes": attack_minutes, "clients": clients,
        "env": {k: v for k, v in env.items() if k != "REDIS_URL"}, "redis": redis is not None,
        "normal": {"baseline": baseline, "under_attack": attacked,
                   "p99_ratio": round(attacked["p99_ms"] / baseline["p99_ms"], 2) if baseline["p99_ms"] else None},
        "attacker": attack_counts,
        "engine_stopped": stopped_engine,
        "memory": memory,
        "tracebacks_in_log": tracebacks,
        "left_behind": {
            "shm": sorted(shm_after - shm_before),
            "metrics_dirs": sorted(str(p) for p in set(Path(tempfile.gettempdir()).glob("nllb-metrics-*"))
                                   - metrics_before),
            "processes": _nllb_processes(),
        },
    }


def _memory_breakdown(pid: int) -> dict[str, float]:
    """Resident memory by kind (smaps_rollup): private anonymous, shared memory, files."""
    try:
        rows = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:])
    except OSError:
        return {}
    kib = {name: int(value.split()[0]) for name, value in rows.items()}
    return {"anonymous": round(kib.get("Anonymous", 0) / 1024, 1), "shmem": round(kib.get("Shared_Dirty", 0) / 1024, 1),
            "pss": round(kib.get("Pss", 0) / 1024, 1)}


def _stop_engine(master: int) -> dict:
    """SIGSTOP the engine once; the master must notice and replace it."""
    engines = [int(name.split(":")[1]) for name, row in process_table(master).items() if row["role"] == "engine"]
    if not engines:
        return {"stopped": None}
    os.kill(engines[0], signal.SIGSTOP)
    stopped_at = time.monotonic()
    while time.monotonic() - stopped_at < 60:
        time.sleep(0.2)
        now = [int(name.split(":")[1]) for name, row in process_table(master).items() if row["role"] == "engine"]
        if now and engines[0] not in now:
            return {"stopped": engines[0], "replaced_by": now[0],
                    "replaced_after_s": round(time.monotonic() - stopped_at, 1)}
    os.kill(engines[0], signal.SIGKILL)
    return {"stopped": engines[0], "replaced_by": None}
