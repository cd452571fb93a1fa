"""256 in flight on the GPU (16 load processes) while perf samples every worker (cpu-clock, call graphs), with
Python's perf trampolines on so Python functions are named: kernel against user, and the top symbols."""
import os, subprocess, sys, tempfile, threading, time
from pathlib import Path
from nllb.tools.bench import drive, request_bodies
from nllb.tools.harness import Service
def main():
    model, out = Path(sys.argv[1]), Path(sys.argv[2])
    env = {"PYTHONPERFSUPPORT": "1", **dict(a.split("=", 1) for a in sys.argv[3:])}
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(model, Path(tmp) / "service.log", env)
        try:
            service.start()
            bodies = request_bodies(1, "fast")
            drive(service.port, 256, 4.0, 16, bodies, service.headers)
            workers = subprocess.run(["pgrep", "-f", "nllb: worker"], capture_output=True, text=True).stdout.split()
            result = {}
            load = threading.Thread(target=lambda: result.update(drive(service.port, 256, 16.0, 16, bodies, service.headers)))
            load.start(); time.sleep(3)
            subprocess.run(["perf", "record", "-e", "cpu-clock", "-F", "1000", "-g", "-o", str(out / "perf.data"),
                            "-p", ",".join(workers), "--", "sleep", "8"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            load.join()
            print({k: result[k] for k in ("requests", "requests_per_s", "errors")}, "workers", len(workers))
        finally:
            service.stop()
if __name__ == "__main__":
    main()
