"""The service under closed-loop load, its log kept: every non-200 answer and every warning or error line."""
import collections, json, sys, tempfile
from pathlib import Path
from nllb.tools.harness import Service
from nllb.tools.bench import drive, request_bodies
def main():
    log = Path(sys.argv[2]); log.unlink(missing_ok=True)
    service = Service(Path(sys.argv[1]), log, {"MAX_DECODING_LENGTH": "8", "COMPUTE_TYPE": "float32"}).start()
    try:
        for conc in [int(c) for c in sys.argv[3].split(",")]:
            r = drive(service.port, conc, float(sys.argv[4]), 4, request_bodies(1, "fast"), service.headers)
            print(conc, {k: v for k, v in r.items() if k in ("requests", "errors", "requests_per_s")})
    finally:
        service.stop()
    statuses = collections.Counter(); bad = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            bad.append(line); continue
        if e.get("event") == "request":
            statuses[e["status"]] += 1
            if e["status"] != 200: bad.append(line)
        elif e.get("level") in ("warning", "error", "critical"):
            bad.append(line)
    print("statuses", dict(statuses)); print("\n".join(bad[:20]))

if __name__ == '__main__':
    main()
