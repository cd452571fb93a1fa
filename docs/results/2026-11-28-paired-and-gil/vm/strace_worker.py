"""Cached requests at 8 in flight: syscalls of one worker per request (strace -f -c), and one request's sequence."""
import subprocess, sys, tempfile, time
from pathlib import Path
from nllb.tools.bench import drive, request_bodies
from nllb.tools.harness import RedisServer, Service
def main():
    model, conc, mode = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    bodies = request_bodies(1, "fast")
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(Path(tmp)).start()
        service = Service(model, Path(tmp) / "service.log", {"WORKERS": "1", "THREADS": "8", "REDIS_URL": redis.url})
        try:
            service.start()
            drive(service.port, 1, 2.0, 1, bodies, service.headers)
            pid = subprocess.run(["pgrep", "-f", "nllb: worker"], capture_output=True, text=True).stdout.split()[0]
            args = ["strace", "-f", "-p", pid] + (["-c"] if mode == "count" else ["-tt", "-e", "trace=!futex"]) + ["-o", f"/tmp/s31/strace.{mode}.txt"]
            spy = subprocess.Popen(args)
            time.sleep(0.5)
            r = drive(service.port, conc, 4, 1, bodies, service.headers)
            spy.terminate(); spy.wait()
            print(r["requests"], "requests")
        finally:
            service.stop(); redis.stop()
if __name__ == "__main__":
    main()
