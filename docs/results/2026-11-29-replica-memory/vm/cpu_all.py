"""Cached requests: CPU per request of the workers, the load generator, redis-server, and the machine's idle share."""
import os, subprocess, sys, tempfile
from pathlib import Path
from nllb.tools.bench import drive, request_bodies
from nllb.tools.harness import RedisServer, Service
TICK = os.sysconf("SC_CLK_TCK")
def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
def idle():
    f = open("/proc/stat").readline().split()[1:]
    return int(f[3]) + int(f[4]), sum(int(x) for x in f)
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
            rpid = redis.process.pid
            for conc in levels:
                w0 = sum(cpu(p) for p in pids); r0 = cpu(rpid); i0 = idle()
                r = drive(service.port, conc, 6, 2, bodies, service.headers)
                w1 = sum(cpu(p) for p in pids); r1 = cpu(rpid); i1 = idle()
                n = r["requests"]
                print(f"{conc:3d} in flight: {r['requests_per_s']:.0f} req/s; per request: workers {(w1-w0)/TICK/n*1e6:.0f} us, "
                      f"redis {(r1-r0)/TICK/n*1e6:.0f} us, client {r['client_cpu_seconds']/n*1e6:.0f} us; idle {(i1[0]-i0[0])/(i1[1]-i0[1]):.0%}")
        finally:
            service.stop(); redis.stop()
if __name__ == "__main__":
    main()
