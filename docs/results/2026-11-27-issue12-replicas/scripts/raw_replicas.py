"""Raw translate_batch on one GPU with INTER_THREADS=4: 1-4 threads calling at once, the rows split between them."""
import os, sys, threading, time
from pathlib import Path
model_path = Path(sys.argv[1])
os.environ.update(dict(a.split("=", 1) for a in sys.argv[2:]))
from nllb.config import Settings
from nllb.tools.bench import RawCeiling
raw = RawCeiling(model_path, Settings.from_env(), "fast")

def rate(threads, batch, seconds=3.0):
    done = [0] * threads
    stop = time.perf_counter() + seconds
    def loop(i):
        while time.perf_counter() < stop:
            raw.run(batch, i * batch)
            done[i] += batch
    ts = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    t = time.perf_counter()
    for x in ts: x.start()
    for x in ts: x.join()
    return sum(done) / (time.perf_counter() - t)

for threads in (1, 2, 3, 4):
    rate(threads, 1024 // threads, 0.5)
for total in (256, 512, 1024):
    row = [f"{rate(threads, total // threads):.0f}" for threads in (1, 2, 3, 4)]
    print(f"{total} rows in flight, split over 1/2/3/4 concurrent calls: {' / '.join(row)} sent/s", flush=True)
