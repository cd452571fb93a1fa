"""From a service log: per batch the device time and the gap before it (ms), from the batch lines' timestamps."""
import datetime, json, statistics, sys

batches = []
for line in open(sys.argv[1]):
    try:
        rec = json.loads(line)
    except ValueError:
        continue
    if rec.get("event") == "batch":
        ts = datetime.datetime.strptime(rec["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
        batches.append((ts, rec["device_ms"], rec["segments"], len(rec["request_ids"])))
batches = batches[len(batches) // 3:]  # past the warm-up
gaps = []
for (t0, d0, s0, r0), (t1, d1, s1, r1) in zip(batches, batches[1:]):
    gaps.append((t1 - d1 / 1000 - t0) * 1000)  # from the last line to the next batch's start (logged after its device time)
for (t, d, s, r), g in list(zip(batches[1:], gaps))[:60]:
    print(f"segments {s:4d} requests {r:4d} device {d:7.1f} ms  gap before {g:6.1f} ms")
print("gap ms: median", round(statistics.median(gaps), 1), "mean", round(statistics.mean(gaps), 1),
      "p90", round(sorted(gaps)[int(0.9 * len(gaps))], 1), "of", len(gaps),
      "| device ms mean", round(statistics.mean(b[1] for b in batches), 1))
