"""Two source trees served side by side (same Redis, same settings), cached load in rounds taking turns:
each tree's req/s per round and the per-round ratio B/A. Usage: ab_side.py MODEL TREE_A TREE_B LEVELS ROUNDS SECONDS"""
import statistics, sys, tempfile
from pathlib import Path
from nllb.tools.bench import drive, request_bodies
from nllb.tools.harness import RedisServer, Service
def main():
    model, a, b, levels, rounds, secs = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
    bodies = request_bodies(1, "fast")
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(Path(tmp)).start()
        services = [Service(model, Path(tmp) / f"{i}.log", {"WORKERS": "2", "THREADS": "8", "REDIS_URL": redis.url,
                                                            "PYTHONPATH": tree, "DATA_DIR": str(Path(tmp) / f"d{i}")})
                    for i, tree in enumerate((a, b))]
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
                print(f"{c:3d} in flight: A {[round(x) for x, _ in rows]}  B {[round(y) for _, y in rows]}  B/A {[round(r, 3) for r in ratios]}  median {statistics.median(ratios):.3f}", flush=True)
        finally:
            for s in services: s.stop()
            redis.stop()
if __name__ == "__main__":
    main()
