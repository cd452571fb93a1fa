"""256 in flight on the GPU (16 load processes): every worker thread's user and system CPU and context switches
from /proc, and the machine's interrupts and softirqs, over 10 s of the load."""
import os, subprocess, sys, tempfile, threading, time
from pathlib import Path
from nllb.tools.bench import drive, request_bodies
from nllb.tools.harness import Service
def workers_stat(pids):
    u = s = vol = inv = 0
    for pid in pids:
        for t in os.listdir(f"/proc/{pid}/task"):
            try:
                f = open(f"/proc/{pid}/task/{t}/stat").read().rsplit(")", 1)[1].split()
                st = open(f"/proc/{pid}/task/{t}/status").read()
            except OSError:
                continue
            u += int(f[11]); s += int(f[12])
            vol += int(st.split("voluntary_ctxt_switches:")[1].split()[0])
            inv += int(st.split("nonvoluntary_ctxt_switches:")[1].split()[0])
    return u, s, vol, inv
def machine():
    stat = {l.split()[0]: l.split()[1:] for l in open("/proc/stat")}
    irq = {}
    for line in open("/proc/interrupts").read().splitlines()[1:]:
        parts = line.split()
        if parts and parts[0].endswith(":"):
            irq[parts[0][:-1]] = sum(int(x) for x in parts[1:17] if x.isdigit())
    return [int(x) for x in stat["cpu"]], irq
def main():
    model = Path(sys.argv[1]); env = dict(a.split("=", 1) for a in sys.argv[2:])
    tick = os.sysconf("SC_CLK_TCK")
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(model, Path(tmp) / "service.log", env)
        try:
            service.start()
            bodies = request_bodies(1, "fast")
            drive(service.port, 256, 4.0, 16, bodies, service.headers)
            pids = subprocess.run(["pgrep", "-f", "nllb: worker"], capture_output=True, text=True).stdout.split()
            a, (ca, ia) = workers_stat(pids), machine()
            r = drive(service.port, 256, 10.0, 16, bodies, service.headers)
            b, (cb, ib) = workers_stat(pids), machine()
            n = r["requests"]
            print(f"{n} requests, {r['requests_per_s']:.0f}/s")
            print(f"workers per request: user {(b[0]-a[0])/tick/n*1e6:.0f} us, system {(b[1]-a[1])/tick/n*1e6:.0f} us, "
                  f"voluntary switches {(b[2]-a[2])/n:.1f}, involuntary {(b[3]-a[3])/n:.2f}")
            names = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]
            total = sum(cb) - sum(ca)
            print("machine:", ", ".join(f"{k} {100*(cb[i]-ca[i])/total:.1f}%" for i, k in enumerate(names)))
            print("interrupts per request:", ", ".join(f"{k} {(ib[k]-ia.get(k, 0))/n:.2f}" for k in sorted(ib, key=lambda k: ia.get(k, 0) - ib[k])[:8]))
        finally:
            service.stop()
if __name__ == "__main__":
    main()
