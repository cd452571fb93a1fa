"""Where a 16-core box's CPU goes under N requests in flight: /proc/stat shares (user, system, softirq ...) and every
process's user and system time over S seconds, grouped by command; voluntary switches per request in the workers."""
import collections, os, subprocess, sys, tempfile, threading, time
from pathlib import Path
from nllb.tools.bench import drive, request_bodies
from nllb.tools.harness import Service

def machine():
    return [int(x) for x in open("/proc/stat").readline().split()[1:]]

def processes():
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = open(f"/proc/{pid}/stat").read()
            name = open(f"/proc/{pid}/cmdline").read().replace("\0", " ").strip()[:60] or stat.split("(")[1].split(")")[0]
            f = stat.rsplit(")", 1)[1].split()
            switches = 0
            for tid in os.listdir(f"/proc/{pid}/task"):
                switches += sum(int(l.split()[1]) for l in open(f"/proc/{pid}/task/{tid}/status") if l.startswith("voluntary_ctxt"))
            out[int(pid)] = (name, int(f[11]), int(f[12]), switches)
        except (OSError, IndexError):
            pass
    return out

def main():
    model, concurrency, seconds, out = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), Path(sys.argv[4])
    env = dict(a.split("=", 1) for a in sys.argv[5:])
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "service.log"
        service = Service(model, log, {"LOG_FORMAT": "json", "LOG_LEVEL": "info", **env})
        try:
            service.start()
            bodies = request_bodies(1, "fast")
            drive(service.port, concurrency, 3.0, 8, bodies, service.headers)
            result = {}
            t = threading.Thread(target=lambda: result.update(drive(service.port, concurrency, seconds + 6, 8, bodies, service.headers)))
            t.start(); time.sleep(3)
            m0, p0, size0 = machine(), processes(), log.stat().st_size
            time.sleep(seconds)
            m1, p1, size1 = machine(), processes(), log.stat().st_size
            t.join()
        finally:
            service.stop()
        with open(log) as f:
            f.seek(size0); chunk = f.read(size1 - size0)
        served = sum(1 for line in chunk.splitlines() if '"event":"request"' in line and '"status":200' in line)
    hz = os.sysconf("SC_CLK_TCK")
    names = "user nice system idle iowait irq softirq steal".split()
    d = [b - a for a, b in zip(m0, m1)]
    total = sum(d[:8])
    lines = [f"{concurrency} in flight, {seconds:.0f} s: {served} requests served ({served / seconds:.0f}/s); client {result.get('sentences_per_s', 0):.0f} sentences/s",
             "machine: " + ", ".join(f"{n} {v / total:.1%}" for n, v in zip(names, d[:8])) + f" (cores {os.cpu_count()})"]
    groups = collections.defaultdict(lambda: [0, 0, 0, 0])
    for pid, (name, u, s, sw) in p1.items():
        if pid in p0:
            g = groups[" ".join(name.split()[:3])]
            g[0] += (u - p0[pid][1]) / hz / seconds; g[1] += (s - p0[pid][2]) / hz / seconds; g[2] += sw - p0[pid][3]; g[3] += 1
    lines.append("cores used by process group (user + system), voluntary switches per served request:")
    for name, (u, s, sw, n) in sorted(groups.items(), key=lambda kv: -(kv[1][0] + kv[1][1])):
        if u + s >= 0.005:
            lines.append(f"  {u + s:6.2f} = {u:5.2f} + {s:5.2f}  x{n:<3} {sw / max(served, 1):7.1f}  {name}")
    text = "\n".join(lines)
    print(text)
    out.write_text(text + "\n")

if __name__ == "__main__":
    main()
