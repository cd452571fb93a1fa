"""A burst's answers on a core shared with a pinned worker: 256 answers of ~15 us each; every 16th wakes one of
16 waiter processes pinned on the same core, which then computes WORK us (a request's app). Total time of the 256
answers, waiters at nice N (argv[1])."""
import os, select, time, sys, multiprocessing as mp
WORK = float(sys.argv[2]) / 1e6
def busy(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end: pass
def waiter(fd, nice):
    os.sched_setaffinity(0, {0}); os.nice(nice)
    p = select.poll(); p.register(fd, select.POLLIN)
    while True:
        p.poll(); os.eventfd_read(fd); busy(WORK)
if __name__ == "__main__":
    fds = [os.eventfd(0, os.EFD_NONBLOCK) for _ in range(16)]
    for fd in fds: mp.Process(target=waiter, args=(fd, int(sys.argv[1])), daemon=True).start()
    os.sched_setaffinity(0, {0}); time.sleep(0.5)
    per = []
    for rnd in range(60):
        time.sleep(0.05)
        t = time.perf_counter()
        for i in range(256):
            busy(15e-6)
            if i % 16 == 0: os.eventfd_write(fds[i // 16], 1)
        per.append(time.perf_counter() - t)
    per.sort()
    print(os.uname().release, "waiters nice", sys.argv[1], "work", sys.argv[2], "us: 256 answers median %.2f ms, p90 %.2f ms (alone: %.2f)" % (per[30]*1e3, per[54]*1e3, 256*15e-3))
