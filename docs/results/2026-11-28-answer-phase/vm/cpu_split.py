"""Cached requests at several in-flight counts: each worker's CPU per request, split main thread / pool threads."""
import os, subprocess, sys, tempfile
from pathlib import Path
from nllb.tools.bench import drive, request_bodies
from nllb.tools.harness import RedisServer, Service
TICK = os.sysconf("SC_CLK_TCK")
def threads(pid):
    out = {}
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            f = open(f"/proc/{pid}/task/{t}/stat").read().rsplit(")", 1)[1].split()
            st = open(f"/proc/{pid}/task/{t}/status").read()
            vol = int(st.split("voluntary_ctxt_switches:")[1].split()[0])
            out[int(t)] = (int(f[11]) + int(f[12]), vol)
        except OSError:
            pass
    return out
def main():
    model = Path(sys.argv[1]); levels = [int(x) for x in sys.argv[2].split(",")]
    bodies = request_bodies(1, "fast")
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(Path(tmp)).start()
        service = Service(model, Path(tmp) / "service.log", {"WORKERS": "2", "THREADS": "8", "REDIS_URL": redis.url, **dict(a.split("=", 1) for a in sys.argv[3:])})
        try:
            service.start()
            drive(service.port, 1, 2.0, 1, bodies, service.headers)
            pids = [int(p) for p in subprocess.run(["pgrep", "-f", "nllb: worker"], capture_output=True, text=True).stdout.split()]
            for conc in levels:
                before = {p: threads(p) for p in pids}
                r = drive(service.port, conc, 6, 2, bodies, service.headers)
                after = {p: threads(p) for p in pids}
                n = r["requests"]
                main_t = sum(after[p].get(p, (0, 0))[0] - before[p].get(p, (0, 0))[0] for p in pids)
                pool_t = sum(a[0] - before[p].get(t, (0, 0))[0] for p in pids for t, a in after[p].items() if t != p)
                vol = sum(a[1] - before[p].get(t, (0, 0))[1] for p in pids for t, a in after[p].items())
                print(f"{conc:3d} in flight: {r['requests_per_s']:.0f} req/s; worker CPU per request: main thread {main_t / TICK / n * 1e6:.0f} us, "
                      f"pool threads {pool_t / TICK / n * 1e6:.0f} us; voluntary switches/request {vol / n:.1f}; client CPU/request {r['client_cpu_seconds'] / n * 1e6:.0f} us")
        finally:
            service.stop(); redis.stop()
if __name__ == "__main__":
    main()
