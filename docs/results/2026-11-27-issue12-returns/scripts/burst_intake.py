"""In process: a device thread waits in take() for a burst of N requests while another thread puts them.
Reports how long the N puts took and how often the waiting thread woke (walked the queue)."""
import statistics, sys, threading, time
sys.path.insert(0, "tests")
from test_batcher import examples
from nllb.engine.batcher import Batcher

N = int(sys.argv[1])
GAP = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0  # seconds between arrivals, as a burst trickles in
put_ms, wakes, cpu_ms = [], [], []
for round_ in range(int(sys.argv[2])):
    b = Batcher(max_examples=4096, max_tokens=10**9, wait_seconds=5.0)
    for _ in range(N):
        b.put(examples(1))
    b.record(b.take(), device_seconds=0.2)  # a batch of N answered: the next take waits for N arrivals
    b.returns.record(N, 1.0)  # patience far beyond the test: only arrivals end the wait
    count = [0]
    real = b._drop_expired
    def counting():
        count[0] += 1
        real()
    b._drop_expired = counting
    got = []
    t = threading.Thread(target=lambda: got.append(b.take()))
    t.start()
    time.sleep(0.05)
    start = time.perf_counter()
    cpu = time.process_time()
    for _ in range(N):
        b.put(examples(1))
        if GAP:
            time.sleep(GAP)
    t.join()
    cpu_ms.append((time.process_time() - cpu) * 1000)
    put_ms.append((time.perf_counter() - start) * 1000)
    wakes.append(count[0])
    assert len(got[0]) == N
print(f"gap {GAP*1e6:.0f} us, N={N}: {N} arrivals + take: median {statistics.median(put_ms):.2f} ms, waiting thread woke {statistics.median(wakes)} times, CPU {statistics.median(cpu_ms):.2f} ms")
