"""The engine's answer phase in isolation: a writer on core 0 signals 256 eventfds round-robin over waiter processes,
one pinned on each other core (16 threads each, as a worker's), each doing WORK us after its wake. Per-write time,
plus the writer's answers per ms; then the same with one doorbell per waiter process (16 writes, the process wakes
its own threads)."""
import os, select, sys, threading, time, multiprocessing as mp
WORK = float(sys.argv[1]) / 1e6
CORES = os.cpu_count()
def busy(s):
    end = time.perf_counter() + s
    while time.perf_counter() < end: pass
def waiter(core, fds, bell):
    os.sched_setaffinity(0, {core})
    def thread(fd):
        p = select.poll(); p.register(fd, select.POLLIN)
        while True:
            p.poll(); os.eventfd_read(fd); busy(WORK)
    for fd in fds: threading.Thread(target=thread, args=(fd,), daemon=True).start()
    locks = [threading.Lock() for _ in fds]
    p = select.poll(); p.register(bell, select.POLLIN)
    while True:  # doorbell mode: one eventfd for the process, then write its threads' own eventfds locally
        p.poll(); os.eventfd_read(bell)
        for fd in fds: os.eventfd_write(fd, 1)
if __name__ == "__main__":
    per = 16
    groups = [[os.eventfd(0, os.EFD_NONBLOCK) for _ in range(per)] for _ in range(CORES - 1)]
    bells = [os.eventfd(0, os.EFD_NONBLOCK) for _ in range(CORES - 1)]
    for c, (fds, bell) in enumerate(zip(groups, bells), start=1):
        mp.Process(target=waiter, args=(c, fds, bell), daemon=True).start()
    os.sched_setaffinity(0, {0}); time.sleep(1)
    order = [fd for i in range(per) for fds in groups for fd in fds[i:i + 1]][:256]
    for mode in ("each", "bell", "each", "bell"):
        took = []
        for rnd in range(40):
            time.sleep(0.05)
            t = time.perf_counter()
            if mode == "each":
                for fd in order:
                    busy(10e-6); os.eventfd_write(fd, 1)
            else:
                for fd in order: busy(10e-6)
                for b in bells: os.eventfd_write(b, 1)
            took.append(time.perf_counter() - t)
        took.sort()
        print(f"{mode}: {len(order)} answers of 10 us, waiters' work {sys.argv[1]} us: median {took[20]*1e3:.2f} ms, p90 {took[36]*1e3:.2f} ms")
