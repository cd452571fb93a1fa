"""The in-process app called by N threads in turn (a baton passed round a ring), back to back: CPU per request."""
import os, statistics, sys, threading, time
sys.argv = [sys.argv[0], sys.argv[1], "0"] + sys.argv[2:]
threads_n = int(os.environ.get("RING", "1"))
src = open("/tmp/cold/uncached_inproc.py").read()
head = src[:src.index("    pause = float")]
exec(compile(head, "inproc", "exec"))
def ring(n_threads, per_thread):
    events = [threading.Event() for _ in range(n_threads)]
    costs = []
    def body(k):
        for i in range(per_thread):
            events[k].wait(); events[k].clear()
            c = time.thread_time()
            b"".join(wsgi(environ(bodies[i % len(bodies)]), start_response))
            costs.append(time.thread_time() - c)
            events[(k + 1) % n_threads].set()
    ts = [threading.Thread(target=body, args=(k,)) for k in range(n_threads)]
    for t in ts: t.start()
    events[0].set()
    for t in ts: t.join()
    return statistics.median(costs) * 1e6, statistics.mean(costs) * 1e6
total = 2048
for n in [1, 16, 64, 256, 1, 16, 64, 256]:
    med, mean = ring(n, total // n)
    print(f"threads {n:4d}: median {med:6.1f} us  mean {mean:6.1f} us")
