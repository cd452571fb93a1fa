"""py-spy --gil of both workers under cached requests (as bench-cache: 2 workers x 8 threads, Redis), 8 in flight."""
import subprocess, sys, tempfile, threading, time
from pathlib import Path
from nllb.tools.bench import drive, request_bodies
from nllb.tools.harness import RedisServer, Service

def main():
    model, out = Path(sys.argv[1]), Path(sys.argv[2])
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(Path(tmp)).start()
        service = Service(model, Path(tmp) / "service.log", {"WORKERS": "2", "THREADS": "8", "REDIS_URL": redis.url})
        try:
            service.start()
            bodies = request_bodies(1, "fast")
            drive(service.port, 1, 2.0, 1, bodies, service.headers)
            result = {}
            load = threading.Thread(target=lambda: result.update(drive(service.port, 8, 16.0, 2, bodies, service.headers)))
            load.start()
            time.sleep(3)
            spies = [subprocess.Popen([".venv/bin/py-spy", "record", "-p", str(pid), "-d", "10", "-r", "500", "--gil",
                                       "-f", "raw", "-o", str(out / f"w{pid}.raw"), "--nonblocking"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for pid in service.pids("worker")]
            for spy in spies:
                spy.wait()
            load.join()
            print("requests/s", round(result["requests_per_s"]))
        finally:
            service.stop()
            redis.stop()


if __name__ == "__main__":
    main()
