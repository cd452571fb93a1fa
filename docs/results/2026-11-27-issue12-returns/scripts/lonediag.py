"""Lone requests: direct translate_batch vs served, and the engine's own device_ms from its batch log."""
import http.client, json, os, statistics, sys, tempfile, time
from pathlib import Path
from nllb.config import Settings
from nllb.tools.bench import RawCeiling, request_bodies
from nllb.tools.harness import Service

model = Path(sys.argv[1]); count = int(sys.argv[2]); env = dict(a.split("=", 1) for a in sys.argv[3:])
os.environ.update(env)
settings = Settings.from_env()
raw = RawCeiling(model, settings, "fast")
with tempfile.TemporaryDirectory() as tmp:
    log = Path(tmp) / "service.log"
    svc = Service(model, log, {**env, "LOG_LEVEL": "info", "LOG_FORMAT": "json"}).start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=60)
        bodies = request_bodies(1, "fast")
        direct, served, xrt = [], [], []
        for i in range(count + 1):
            took, _ = raw.run(1, first=i)
            t = time.perf_counter()
            conn.request("POST", "/translate", bodies[i % len(bodies)], {"Content-Type": "application/json", **svc.headers})
            r = conn.getresponse(); r.read()
            if i:
                direct.append(took); served.append(time.perf_counter() - t)
                xrt.append(float(r.getheader("X-Response-Time", "0").rstrip("ms") or 0))
    finally:
        svc.stop()
    device = []
    for line in log.read_text().splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("event") == "batch":
            device.append(rec["device_ms"])
    device = device[-count:]
med = lambda xs: round(statistics.median(xs) * (1000 if xs and xs[0] < 1 else 1), 3)
print(json.dumps({"direct_ms": med(direct), "served_ms": med(served), "x_response_time_ms": statistics.median(xrt),
                  "engine_device_ms": statistics.median(device) if device else None,
                  "overhead_ms": med([s - d for s, d in zip(served, direct)])}))
