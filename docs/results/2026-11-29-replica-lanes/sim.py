"""Closed-loop simulation of the engine's device threads on the real Batcher (time scaled to 1/4 of an H100's)."""
import heapq, inspect, random, sys, threading, time
sys.path.insert(0, sys.argv[1])
from nllb.engine.batcher import Batcher, Example
from nllb.ipc.inbox import InboundRequest

LANES, IN_FLIGHT, SECONDS = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
FIXED, PER = 0.034, 0.000108
lanes_api = "lane" in inspect.signature(Batcher.take).parameters

def example():
    r = InboundRequest(worker_slot=0, request_slot=0, generation=1, request_id="r", deadline=float("inf"),
                       target_token=0, beam_size=1, sources=[], output_limits=[], output_offsets=[], remaining=1)
    return [Example(r, 0, ["x"] * 10, "fra_Latn", 1, 48)]

kw = {"lanes": LANES} if lanes_api else {}
b = Batcher(1024, 10**6, 0.025, 2.0, **kw)
due, lock, wake = [], threading.Lock(), threading.Event()
sizes, served, stop = [], [0], time.monotonic() + SECONDS
def returns(n):
    now = time.monotonic()
    with lock:
        for _ in range(n):
            heapq.heappush(due, (now + random.uniform(0.001, 0.0075), random.random()))
    wake.set()
def clients():
    while time.monotonic() < stop + 0.5:
        with lock:
            ready = []
            now = time.monotonic()
            while due and due[0][0] <= now:
                ready.append(heapq.heappop(due))
            nxt = due[0][0] - now if due else 0.01
        for _ in ready:
            b.put(example())
        if not ready:
            wake.wait(max(0.0, min(nxt, 0.01))); wake.clear()
def device(lane):
    while True:
        batch = b.take(lane) if lanes_api else b.take()
        if batch is None: return
        time.sleep(FIXED + PER * len(batch))
        b.record(batch, FIXED + PER * len(batch), lane) if lanes_api else b.record(batch, FIXED + PER * len(batch))
        if time.monotonic() < stop:
            sizes.append(len(batch)); served[0] += len(batch)
        returns(len(batch))
threads = [threading.Thread(target=device, args=(i,), daemon=True) for i in range(LANES)]
for t in threads: t.start()
c = threading.Thread(target=clients, daemon=True); c.start()
start = time.monotonic()
for _ in range(IN_FLIGHT): b.put(example())
time.sleep(SECONDS)
b.close()
print(f"lanes={LANES} in_flight={IN_FLIGHT} served/s={served[0]/SECONDS:.0f} mean_batch={sum(sizes)/max(1,len(sizes)):.0f} batches={len(sizes)}")
