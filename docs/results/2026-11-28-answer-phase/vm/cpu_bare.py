import os, subprocess, sys, tempfile, time
from pathlib import Path
from nllb.tools.bench import drive, request_bodies
from nllb.tools.bench_cache import BareFalcon
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cpu_split import threads, TICK
if __name__ == "__main__":
    bodies = request_bodies(1, "fast")
    with tempfile.TemporaryDirectory() as tmp:
        bare = BareFalcon(2, 8, Path(tmp) / "bare.log")
        try:
            drive(bare.port, 1, 2.0, 1, bodies, {})
            kids = subprocess.run(["pgrep", "-P", str(bare.process.pid)], capture_output=True, text=True).stdout.split()
            pids = [int(p) for p in kids]
            for conc in [int(x) for x in sys.argv[1].split(",")]:
                before = {p: threads(p) for p in pids}
                r = drive(bare.port, conc, 6, 2, bodies, {})
                after = {p: threads(p) for p in pids}
                n = r["requests"]
                main_t = sum(after[p].get(p, (0, 0))[0] - before[p].get(p, (0, 0))[0] for p in pids)
                pool_t = sum(a[0] - before[p].get(t, (0, 0))[0] for p in pids for t, a in after[p].items() if t != p)
                print(f"bare {conc:3d} in flight: {r['requests_per_s']:.0f} req/s; worker CPU per request: main {main_t / TICK / n * 1e6:.0f} us, pool {pool_t / TICK / n * 1e6:.0f} us; client {r['client_cpu_seconds'] / n * 1e6:.0f} us")
        finally:
            bare.stop()
