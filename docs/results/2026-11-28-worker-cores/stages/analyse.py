"""Workers' CPU per request by stage, from stages/run.py's output folder."""
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
sums, counts, cpu = {}, {}, 0.0
for f in out.glob("*.json"):
    d = json.loads(f.read_text())
    if not d["counts"]:
        continue
    cpu += d["process_cpu"]
    cpus = d.get("cpus", [])
    if len(cpus) == 1:
        print("pinned to core", cpus[0])
    for k, v in d["sums"].items():
        sums[k] = sums.get(k, 0) + v
        counts[k] = counts.get(k, 0) + d["counts"][k]
n = counts.get("ipc", 1)
print(f"requests {n}; workers' CPU (whole run, warm-up included) {cpu / n * 1000:.3f} ms per request")
for k in ("parse", "mw_in", "validate", "encode", "ipc", "decode", "respond", "mw_out", "write", "tail"):
    print(f"{k:6} {sums.get(k, 0) / n * 1000:7.3f} ms per request ({counts.get(k, 0)} stamps)")
print(f"in handle() {sum(sums.values()) / n * 1000:7.3f} ms per request")
