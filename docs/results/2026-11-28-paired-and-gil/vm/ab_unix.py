"""One service, one redis-server listening on TCP and on a Unix socket; two services side by side, one reaching Redis
over TCP (A), the other over the socket (B); cached load in rounds taking turns. Usage: ab_unix.py MODEL LEVELS ROUNDS SECONDS"""
import statistics, subprocess, shutil, sys, tempfile, time
from pathlib import Path
from nllb.tools.bench import drive, request_bodies
from nllb.tools.harness import Service, free_port
def main():
    model, levels, rounds, secs = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    bodies = request_bodies(1, "fast")
    with tempfile.TemporaryDirectory() as tmp:
        port, sock = free_port(), f"{tmp}/redis.sock"
        redis = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--unixsocket", sock,
                                  "--save", "", "--appendonly", "no", "--dir", tmp], stdout=subprocess.DEVNULL)
        time.sleep(1)
        urls = [f"redis://127.0.0.1:{port}/0", f"unix://{sock}?db=0"]
        services = [Service(model, Path(tmp) / f"{i}.log", {"WORKERS": "2", "THREADS": "8", "REDIS_URL": url})
                    for i, url in enumerate(urls)]
        try:
            for s in services:
                s.start(); drive(s.port, 1, 2.0, 1, bodies, s.headers)
            for c in [int(x) for x in levels.split(",")]:
                rows = []
                for turn in range(rounds):
                    order = services if turn % 2 == 0 else services[::-1]
                    got = {id(s): drive(s.port, c, secs, 2, bodies, s.headers)["requests_per_s"] for s in order}
                    rows.append((got[id(services[0])], got[id(services[1])]))
                ratios = [y / x for x, y in rows]
                print(f"{c:3d} in flight: tcp {[round(x) for x, _ in rows]}  unix {[round(y) for _, y in rows]}  unix/tcp {[round(r, 3) for r in ratios]}  median {statistics.median(ratios):.3f}", flush=True)
        finally:
            for s in services: s.stop()
            redis.terminate(); redis.wait()
if __name__ == "__main__":
    main()
