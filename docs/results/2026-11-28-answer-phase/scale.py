"""Do this box's cores run Python independently? A fixed Python workload timed on core 0 while K other cores run the
same workload (K = 0, 1, 3, 7, 15): small (arithmetic in a loop) and large (dict and str work over ~60 MB)."""
import os, sys, time, multiprocessing as mp
def small(n=300000):
    x = 0
    for i in range(n):
        x += i * i % 7
    return x
BIG = None
def large(n=200000):
    global BIG
    if BIG is None:
        BIG = {str(i): [i, str(i * 3)] for i in range(600000)}
    x = 0
    for i in range(n):
        x += len(BIG[str((i * 7919) % 600000)][1])
    return x
def hog(core, fn, stop):
    os.sched_setaffinity(0, {core})
    while not stop.is_set():
        fn()
def timed(fn, reps=7):
    each = []
    for _ in range(reps):
        t = time.perf_counter(); fn(); each.append(time.perf_counter() - t)
    each.sort()
    return each[reps // 2]
if __name__ == "__main__":
    os.sched_setaffinity(0, {0})
    cores = os.cpu_count()
    for name, fn in (("small", small), ("large", large)):
        fn()
        alone = None
        for k in sorted({k for k in (0, 1, 3, 7, cores - 1) if k < cores}):
            stop = mp.Event()
            hogs = [mp.Process(target=hog, args=(c, fn, stop)) for c in range(1, k + 1)]
            for h in hogs: h.start()
            time.sleep(1.5 if name == "large" else 0.3)
            t = timed(fn)
            stop.set()
            for h in hogs: h.join()
            alone = alone or t
            print(f"{name}: core 0 with {k:2d} other cores busy: {t*1000:7.1f} ms ({t/alone:.2f}x alone)", flush=True)
