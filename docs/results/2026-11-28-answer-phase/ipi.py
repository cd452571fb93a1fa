"""Does waking another core cost the waker's own code? 256 rounds of a fixed piece of Python (a deliver-like step:
48 dict lookups and a slice write), each followed by an eventfd write that (a) wakes a process blocked on another core (one per core),
(b) wakes nobody (no waiter), or (c) the same writes all after the loop. Time of the Python steps alone, per step."""
import os, select, sys, time, statistics, multiprocessing as mp
from array import array
N = 256
CORES = os.cpu_count()
table = {str(i): i for i in range(256000)}
tokens = [str(i * 37) for i in range(48)]
buf = memoryview(bytearray(4 * 48 * N)).cast("i")
def step(i):
    ids = [table.get(t, 0) for t in tokens]
    buf[i * 48:(i + 1) * 48] = array("i", ids)
def waiter(fds, core):
    os.sched_setaffinity(0, {core})
    p = select.poll()
    for fd in fds: p.register(fd, select.POLLIN)
    while True:
        for fd, _ in p.poll():
            os.eventfd_read(fd)
if __name__ == "__main__":
    os.sched_setaffinity(0, {0})
    woken = [os.eventfd(0, os.EFD_NONBLOCK) for _ in range(N)]
    lonely = [os.eventfd(0, os.EFD_NONBLOCK) for _ in range(N)]
    others = list(range(1, CORES)) or [0]
    for k, core in enumerate(others):
        mp.Process(target=waiter, args=(woken[k::len(others)], core), daemon=True).start()
    time.sleep(0.5)
    res = {m: [] for m in ("wakes", "no-waiter", "after")}
    for rnd in range(60):
        for mode in res:
            time.sleep(0.02)
            spent = 0.0
            fds = woken if mode != "no-waiter" else lonely
            for i in range(N):
                t = time.perf_counter(); step(i); spent += time.perf_counter() - t
                if mode != "after":
                    os.eventfd_write(fds[i], 1)
            if mode == "after":
                for fd in fds: os.eventfd_write(fd, 1)
            res[mode].append(spent / N * 1e6)
    for m, v in res.items():
        print(f"{m:10s}: the Python step {statistics.median(v):.2f} us (median over rounds)")
