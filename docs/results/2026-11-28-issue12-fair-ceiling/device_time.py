"""Raw translate_batch of the bench's 256 texts (288 sentences), 48-token outputs, under four conditions, 15 calls
each, alternating in rounds: back to back; with a 35 ms pause before each call (the service's gap); with a Python
thread in this process holding the GIL in 1 ms slices meanwhile; with 16 processes burning CPU meanwhile."""
import multiprocessing, os, statistics, sys, threading, time
from pathlib import Path
from nllb.config import Settings
from nllb.tools.bench import RawCeiling

def burn(stop):
    while not stop.is_set():
        sum(range(10000))

def main():
    for name, value in {"COMPUTE_TYPE": "float16", "DEVICE_INDEX": "0", "MAX_DECODING_LENGTH": "48"}.items():
        os.environ.setdefault(name, value)
    raw = RawCeiling(Path(sys.argv[1]), Settings.from_env(), "fast")
    raw.run(256); raw.run(256)
    times = {"back to back": [], "35 ms pause first": [], "a GIL-holding thread": [], "16 busy processes": []}
    for _ in range(3):
        for name in times:
            stop = threading.Event()
            helpers = []
            if name == "a GIL-holding thread":
                helpers = [threading.Thread(target=burn, args=(stop,))]
            elif name == "16 busy processes":
                stop = multiprocessing.Event()
                helpers = [multiprocessing.Process(target=burn, args=(stop,)) for _ in range(16)]
            for h in helpers:
                h.start()
            time.sleep(0.2)
            for _ in range(5):
                if name == "35 ms pause first":
                    time.sleep(0.035)
                took, _ = raw.run(256)
                times[name].append(took * 1000)
            stop.set()
            for h in helpers:
                h.join()
    for name, ms in times.items():
        print(f"{name:24s} mean {statistics.mean(ms):6.1f} ms  median {statistics.median(ms):6.1f}  "
              f"min {min(ms):6.1f}  max {max(ms):6.1f}  (n={len(ms)})")

if __name__ == "__main__":
    main()
