"""Closed-loop load on a service whose processes stamp every request's stages (sitecustomize.py here):
python run.py MODEL CONCURRENCY SECONDS OUTDIR [SETTING=VALUE ...]; then analyse.py OUTDIR."""
import os, shutil, sys, tempfile, threading, time
from pathlib import Path
from nllb.tools.bench import drive, request_bodies
from nllb.tools.harness import Service

def main():
    model, concurrency, seconds, out = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), Path(sys.argv[4])
    env = dict(a.split("=", 1) for a in sys.argv[5:])
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        stamps = Path(tmp) / "stamps"; stamps.mkdir()
        here = str(Path(__file__).resolve().parent)
        env = {"PYTHONPATH": here + os.pathsep + os.environ.get("PYTHONPATH", ""), "TIMELINE_DIR": str(stamps), **env}
        service = Service(model, Path(tmp) / "service.log", env)
        try:
            service.start()
            bodies = request_bodies(1, "fast")
            drive(service.port, concurrency, 3.0, 8, bodies, service.headers)
            began = time.monotonic()
            result = drive(service.port, concurrency, seconds, 8, bodies, service.headers)
            ended = time.monotonic()
            time.sleep(2.5)
            for f in stamps.glob("*.json"):
                shutil.copy(f, out / f.name)
            (out / "window.txt").write_text(f"{began} {ended}\n{result}\n")
            print(result)
        finally:
            service.stop()

if __name__ == "__main__":
    main()
