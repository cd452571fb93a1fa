"""Where a burst's time goes: for every batch that ended in the measured window, the time (ms after the batch's
device call ended) by which 10/50/90/100% of each stage's events that followed it had happened, up to the next
batch's start. Stages in order: engine answers written, worker threads awake (round trip out), app out, response
sent, next request head complete, app in, round trip in (posted), engine arrival."""
import json, statistics, sys
from pathlib import Path

out = Path(sys.argv[1])
began, ended = map(float, (out / "window.txt").read_text().split("\n")[0].split())
engine, workers = None, []
for f in out.glob("*.json"):
    d = json.loads(f.read_text())
    (workers.append(d["events"]) if "worker" in d["title"] or "nllb: w" in d["title"] else None)
    if any(e[0] == "start" for e in d["events"]):
        engine = d["events"]
workers = [w for w in workers if any(e[0] == "app_in" for e in w)]
starts = sorted(e[1] for e in engine if e[0] == "start")
ends = sorted((e[1], e[2]) for e in engine if e[0] == "end")
by_kind = {}
for e in engine:
    by_kind.setdefault(e[0], []).append(e[1])
for w in workers:
    for e in w:
        by_kind.setdefault(e[0], []).append(e[1])
for k in by_kind:
    by_kind[k].sort()
import bisect
order = ["answer", "delivered", "rt_out", "app_out", "sent", "head", "app_in", "rt_in", "arrive"]
rows = {k: [] for k in order}
gaps, sizes, device = [], [], []
starts_after = lambda t: starts[bisect.bisect_right(starts, t)] if bisect.bisect_right(starts, t) < len(starts) else None
for i, (end, n) in enumerate(ends):
    if not (began + 1 < end < ended - 1):
        continue
    nxt = starts_after(end)
    if nxt is None:
        continue
    start_of_this = starts[bisect.bisect_right(starts, end) - 1]
    device.append((end - start_of_this) * 1000)
    gaps.append((nxt - end) * 1000); sizes.append(n)
    for k in order:
        ts = by_kind.get(k, [])
        a, b = bisect.bisect_right(ts, end), bisect.bisect_left(ts, nxt)
        sel = [(t - end) * 1000 for t in ts[a:b]]
        if sel:
            q = lambda p: sel[min(len(sel) - 1, int(p * len(sel)))]
            rows[k].append((len(sel), q(0.1), q(0.5), q(0.9), sel[-1]))
print(f"batches {len(gaps)}  segments mean {statistics.mean(sizes):.0f}  device ms median {statistics.median(device):.1f}"
      f"  end->next start ms median {statistics.median(gaps):.1f} (p10 {sorted(gaps)[len(gaps)//10]:.1f}, p90 {sorted(gaps)[len(gaps)*9//10]:.1f})")
print(f"{'stage':10} {'events':>7} {'10%':>7} {'50%':>7} {'90%':>7} {'last':>7}   (ms after the batch ended; medians over batches)")
for k in order:
    r = rows[k]
    if r:
        med = lambda j: statistics.median(x[j] for x in r)
        print(f"{k:10} {med(0):7.0f} {med(1):7.1f} {med(2):7.1f} {med(3):7.1f} {med(4):7.1f}")
