"""Raw translate_batch on one GPU: each call's time from the first at a new size; one call at a time vs two
threads calling at once (INTER_THREADS=2: two replicas of the model on one GPU)."""
import os, sys, threading, time
from pathlib import Path
model_path = Path(sys.argv[1])
os.environ.update(dict(a.split("=", 1) for a in sys.argv[2:]))
from nllb.config import Settings
from nllb.tools.bench import RawCeiling
settings = Settings.from_env()
raw = RawCeiling(model_path, settings, "fast")
raw.run(1)
for batch in (256, 512, 1024):
    print(f"batch {batch}, first calls (s):", " ".join(f"{raw.run(batch)[0]:.3f}" for _ in range(8)), flush=True)

def rate(threads, batch, seconds=4.0):
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

for batch in (64, 128, 256, 512):
    rate(2, batch, 0.5)
    one = rate(1, batch)
    two = rate(2, batch)
    again = rate(1, batch)
    print(f"batch {batch}: one call {one:.0f} / {again:.0f} sent/s, two concurrent calls {two:.0f} sent/s "
          f"({two/max(one, again):.2f}x)", flush=True)
