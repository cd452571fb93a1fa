"""Closed-loop load at given concurrencies with the engine's batch decisions logged; summary per level."""
import json, os, statistics, sys, time
from pathlib import Path
from nllb.tools.bench import drive, request_bodies, with_engine_figures
from nllb.tools.harness import Service


def main():
    model, out = Path(sys.argv[1]), Path(sys.argv[2])
    levels = [int(x) for x in sys.argv[3].split(",")]
    env = dict(a.split("=", 1) for a in sys.argv[4:])
    os.environ.update(env)
    log = out / "service.log"
    svc = Service(model, log, {**env, "LOG_LEVEL": "info", "LOG_FORMAT": "json"}).start()
    summary = []
    try:
        for c in levels:
            mark = log.stat().st_size
            m = with_engine_figures(svc, lambda: drive(svc.port, c, 8, 8, request_bodies(1, "fast"), svc.headers))
            with open(log) as f:
                f.seek(mark)
                takes = [r for r in (json.loads(l) for l in f if l.startswith("{")) if r.get("event") == "take"]
            sizes = [t["size"] for t in takes]
            why = {w: sum(t["why"] == w for t in takes) for w in ("full", "timeout", "")}
            s = {"concurrency": c, "sent_per_s": m["sentences_per_s"], "mean_batch": m["mean_batch_size"],
                 "device_busy": m["device_busy"], "transit": m["burst_transit_ms"], "batches": len(takes),
                 "why": why, "sizes_tail": sizes[-30:], "waited_tail": [t["waited_ms"] for t in takes[-30:]],
                 "expected_tail": [t["expected"] for t in takes[-30:]]}
            summary.append(s)
            print(json.dumps(s), flush=True)
    finally:
        svc.stop()
    (out / "cohort-summary.json").write_text(json.dumps(summary, indent=1))


if __name__ == '__main__':
    main()
