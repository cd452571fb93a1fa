"""py-spy of one worker (CPU samples, GIL holder only with --gil) under cached load."""
import subprocess, sys, tempfile, time
from pathlib import Path
from nllb.tools.bench import drive, request_bodies
from nllb.tools.harness import RedisServer, Service
def main():
    model, out, conc = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    extra = sys.argv[4:]
    bodies = request_bodies(1, "fast")
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(Path(tmp)).start()
        service = Service(model, Path(tmp) / "service.log", {"WORKERS": "2", "THREADS": "8", "REDIS_URL": redis.url})
        try:
            service.start()
            drive(service.port, 1, 2.0, 1, bodies, service.headers)
            pids = subprocess.run(["pgrep", "-f", "nllb: worker"], capture_output=True, text=True).stdout.split()
            spy = subprocess.Popen(["/tmp/pyspy/x/py_spy-0.4.3.data/scripts/py-spy", "record", "-p", pids[-1], "-d", "6",
                                    "-r", "500", "-f", "raw", "-o", out, "--nonblocking", *extra],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            print(drive(service.port, conc, 7, 2, bodies, service.headers)["requests_per_s"])
            spy.wait()
        finally:
            service.stop(); redis.stop()
if __name__ == '__main__':
    main()
