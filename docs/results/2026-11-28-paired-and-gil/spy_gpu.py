"""256 in flight on the GPU (16 load processes) while py-spy samples one worker (the GIL holder; then every
non-idle thread) and the engine (the GIL holder): where a worker's CPU goes in today's bursts."""
import subprocess, sys, tempfile, threading, time
from pathlib import Path
from nllb.tools.bench import drive, request_bodies
from nllb.tools.harness import Service
SPY = "/tmp/pyspy/py_spy-0.4.3.data/scripts/py-spy"
def spy(pid, out, seconds, *extra):
    return subprocess.Popen([SPY, "record", "-p", str(pid), "-d", str(seconds), "-r", "250", "-f", "raw", "-o", out,
                             "--nonblocking", *extra], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
def main():
    model, out = Path(sys.argv[1]), Path(sys.argv[2])
    env = dict(a.split("=", 1) for a in sys.argv[3:])
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(model, Path(tmp) / "service.log", env)
        try:
            service.start()
            bodies = request_bodies(1, "fast")
            drive(service.port, 256, 4.0, 16, bodies, service.headers)
            pgrep = lambda title: subprocess.run(["pgrep", "-f", title], capture_output=True, text=True).stdout.split()
            worker, engine = pgrep("nllb: worker")[3], pgrep("nllb: engine")[0]
            result = {}
            load = threading.Thread(target=lambda: result.update(drive(service.port, 256, 26.0, 16, bodies, service.headers)))
            load.start(); time.sleep(2)
            spies = [spy(worker, out / "worker-gil.txt", 10, "--gil"), spy(engine, out / "engine-gil.txt", 10, "--gil")]
            for s in spies: s.wait()
            spy(worker, out / "worker-threads.txt", 10).wait()
            load.join()
            print({k: result[k] for k in ("requests", "requests_per_s", "errors")})
        finally:
            service.stop()
if __name__ == "__main__":
    main()
