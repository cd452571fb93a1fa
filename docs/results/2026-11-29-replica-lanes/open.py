"""Open-loop (Poisson) arrivals on the real Batcher with N device threads (time scaled as sim.py): latency p50/p99."""
import inspect, random, statistics, sys, threading, time
sys.path.insert(0, sys.argv[1])
from nllb.engine.batcher import Batcher, Example
from nllb.ipc.inbox import InboundRequest

LANES, RATE, SECONDS = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
FIXED, PER = 0.034, 0.000108
lanes_api = "lane" in inspect.signature(Batcher.take).parameters
b = Batcher(1024, 10**6, 0.025, 2.0, **({"lanes": LANES} if lanes_api else {}))
sent, latencies = {}, []

def device(lane):
    while (batch := (b.take(lane) if lanes_api else b.take())) is not None:
        time.sleep(FIXED + PER * len(batch))
        (b.record(batch, FIXED + PER * len(batch), lane) if lanes_api else b.record(batch, FIXED + PER * len(batch)))
        now = time.monotonic()
        latencies.extend(now - sent[id(e.request)] for e in batch)

for i in range(LANES):
    threading.Thread(target=device, args=(i,), daemon=True).start()
random.seed(1)
stop = time.monotonic() + SECONDS
while time.monotonic() < stop:
    r = InboundRequest(worker_slot=0, request_slot=0, generation=1, request_id="r", deadline=float("inf"),
                       target_token=0, beam_size=1, sources=[], output_limits=[], output_offsets=[], remaining=1)
    sent[id(r)] = time.monotonic()
    b.put([Example(r, 0, ["x"] * 10, "fra_Latn", 1, 48)])
    time.sleep(random.expovariate(RATE))
time.sleep(0.5)
b.close()
ordered = sorted(latencies)
print(f"lanes={LANES} rate={RATE:.0f}/s served={len(ordered)} p50={statistics.median(ordered)*1000:.1f} ms "
      f"p99={ordered[int(0.99*len(ordered))]*1000:.1f} ms")
