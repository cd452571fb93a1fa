"""Stock gthread (the bench-cache baseline), 8 connections, repeated 2 s rounds: req/s and each worker's share of CPU."""
import subprocess, sys, tempfile, os
from pathlib import Path
from nllb.tools.bench import drive, request_bodies
from nllb.tools.bench_cache import BareFalcon
TICK = os.sysconf("SC_CLK_TCK")
def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split(); return int(f[11]) + int(f[12])
if __name__ == '__main__':
    bodies = request_bodies(1, "fast")
    with tempfile.TemporaryDirectory() as tmp:
        bare = BareFalcon(2, 8, Path(tmp) / "bare.log")
        try:
            drive(bare.port, 1, 1.0, 1, bodies, {})
            pids = [int(p) for p in subprocess.run(["pgrep", "-P", str(bare.process.pid)], capture_output=True, text=True).stdout.split()]
            for _ in range(int(sys.argv[2])):
                b = [cpu(p) for p in pids]
                r = drive(bare.port, int(sys.argv[1]), 2, 2, bodies, {})
                a = [cpu(p) for p in pids]
                print(f"{r['requests_per_s']:.0f} req/s; worker CPU ticks {[x - y for x, y in zip(a, b)]}")
        finally:
            bare.stop()
