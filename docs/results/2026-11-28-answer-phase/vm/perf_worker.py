import os, subprocess, sys, tempfile, time
from pathlib import Path
from nllb.tools.bench import drive, request_bodies
from nllb.tools.harness import RedisServer, Service
if __name__ == "__main__":
    model, conc, out = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    bodies = request_bodies(1, "fast")
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(Path(tmp)).start()
        service = Service(model, Path(tmp) / "service.log", {"WORKERS": "2", "THREADS": "8", "REDIS_URL": redis.url})
        try:
            service.start()
            drive(service.port, 1, 2.0, 1, bodies, service.headers)
            pids = subprocess.run(["pgrep", "-f", "nllb: worker"], capture_output=True, text=True).stdout.split()
            perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "4000", "-g", "-o", out, "-p", ",".join(pids), "--", "sleep", "5"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            print(drive(service.port, conc, 6, 2, bodies, service.headers)["requests"])
            perf.wait()
        finally:
            service.stop(); redis.stop()
