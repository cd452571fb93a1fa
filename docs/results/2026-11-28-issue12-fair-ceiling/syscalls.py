"""A worker's system calls and CPU per request under N in flight: strace -c -f on one worker for S seconds."""
import json, os, re, subprocess, sys, tempfile, threading, time
from pathlib import Path
from nllb.tools.bench import drive, request_bodies
from nllb.tools.harness import Service

def ticks(pid):
    user = system = switches = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        f = open(f"/proc/{pid}/task/{tid}/stat").read().rsplit(")", 1)[1].split()
        user += int(f[11]); system += int(f[12])
        for line in open(f"/proc/{pid}/task/{tid}/status"):
            if line.startswith("voluntary_ctxt_switches"):
                switches += int(line.split()[1])
    return user, system, switches

TRACE = os.environ.get("TRACE") == "1"
SPY = os.environ.get("SPY")

def main():
    model, concurrency, seconds = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    env = dict(a.split("=", 1) for a in sys.argv[4:])
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "service.log"
        service = Service(model, log, {"LOG_FORMAT": "json", "LOG_LEVEL": "info", **env})
        try:
            service.start()
            bodies = request_bodies(1, "fast")
            drive(service.port, concurrency, 2.0, 1, bodies, service.headers)
            workers = [int(p) for p in subprocess.check_output(["pgrep", "-f", "nllb: worker"]).split()]
            w = workers[0]
            result = {}
            t = threading.Thread(target=lambda: result.update(drive(service.port, concurrency, seconds + 4, 1, bodies, service.headers)))
            t.start(); time.sleep(2)
            size0 = log.stat().st_size; t0 = ticks(w)
            if SPY:
                p = subprocess.Popen([".venv/bin/py-spy", "record", "--pid", str(w), "--duration", str(int(seconds)), "--rate", "500",
                                      "--format", "raw", "--output", SPY, "--nonblocking"] + (["--gil"] if os.environ.get("GIL") else []), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if TRACE:
                p = subprocess.Popen(["strace", "-c", "-f", "-p", str(w), "-o", f"{tmp}/st"])
            time.sleep(seconds)
            if TRACE:
                p.send_signal(2); p.wait()
            if SPY:
                p.wait()
            t1 = ticks(w); size1 = log.stat().st_size
            t.join()
        finally:
            service.stop()
        with open(log) as f:
            f.seek(size0); chunk = f.read(size1 - size0)
        served = sum(1 for line in chunk.splitlines() if f'"pid":{w}' in line and '"status":200' in line)
        n = max(served, 1)
        print("worker", w, "requests", served, "user ms/request", round((t1[0] - t0[0]) * 10 / n, 3),
              "system ms/request", round((t1[1] - t0[1]) * 10 / n, 3), "voluntary switches/request", round((t1[2] - t0[2]) / n, 1),
              "(traced)" if TRACE else "", "client sent/s", round(result.get("sentences_per_s", 0), 1))
        if TRACE:
            print(open(f"{tmp}/st").read())

if __name__ == "__main__":
    main()
