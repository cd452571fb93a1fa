"""Profile one worker with py-spy while bench-cache's load runs at 8 in flight (cached requests, Redis on)."""
import subprocess, sys, tempfile, time, os
from pathlib import Path
from nllb.tools.bench import drive, request_bodies
from nllb.tools.harness import RedisServer, Service
def main():
    model, out, conc = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    bodies = request_bodies(1, "fast")
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(Path(tmp)).start()
        service = Service(model, Path(tmp) / "service.log", {"WORKERS": "2", "THREADS": "8", "REDIS_URL": redis.url})
        try:
            service.start()
            drive(service.port, 1, 2.0, 1, bodies, service.headers)
            pids = subprocess.run(["pgrep", "-f", "nllb: worker"], capture_output=True, text=True).stdout.split(); print(pids, [open(f"/proc/{p}/cmdline").read() for p in pids])
            spy = subprocess.Popen(["/tmp/pyspy/x/py_spy-0.4.3.data/scripts/py-spy", "record", "-p", pids[-1], "-d", "6",
                                    "-r", "400", "-f", "raw", "-o", out, "--nonblocking"])
            print(drive(service.port, conc, 7, 2, bodies, service.headers))
            spy.wait()
        finally:
            service.stop(); redis.stop()

if __name__ == '__main__':
    main()
