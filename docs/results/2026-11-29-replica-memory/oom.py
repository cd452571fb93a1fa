"""The service on a GPU with all but LEAVE_GIB of its memory taken by another process (a small card, simulated):
closed-loop load at each level, then what the engine's log says about failed batches."""
import json, re, subprocess, sys, time
from pathlib import Path
from nllb.tools.bench import drive, request_bodies
from nllb.tools.harness import Service

FILL = """
import sys, time, torch
free, total = torch.cuda.mem_get_info()
keep = int(float(sys.argv[1]) * 2**30)
block = torch.empty(max(0, free - keep), dtype=torch.uint8, device="cuda")
print("filled", block.numel() >> 20, "MiB; free now", torch.cuda.mem_get_info()[0] >> 20, "MiB", flush=True)
time.sleep(3600)
"""

def main():
    model, leave, out, name = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4]
    levels = [int(x) for x in sys.argv[5].split(",")]
    env = dict(a.split("=", 1) for a in sys.argv[6:])
    filler = None
    if float(leave) > 0:
        filler = subprocess.Popen([sys.executable, "-c", FILL, leave], stdout=subprocess.PIPE, text=True)
        print(filler.stdout.readline().strip(), flush=True)
    log = out / f"{name}.log"
    service = Service(model, log, {"COMPUTE_TYPE": "float16", "DEVICE_INDEX": "0", **env})
    try:
        service.start()
        bodies = request_bodies(1, "fast")
        for c in levels:
            r = drive(service.port, c, 10, 16, bodies, service.headers)
            print(f"{name} {c} in flight: {r['sentences_per_s']:.1f} sentences/s, p99 {r['latency_ms']['p99']:.0f} ms, "
                  f"errors {r['errors']} {r.get('error_kinds', {})}", flush=True)
    finally:
        service.stop()
        if filler:
            filler.kill()
    text = log.read_text(errors="replace")
    sizes = [int(m) for m in re.findall(r'"segments": ?(\d+)', text)]
    device = [float(m) for m in re.findall(r'"device_ms": ?([\d.]+)', text)]
    print(f"{name}: {len(sizes)} batches, mean {sum(sizes) / max(1, len(sizes)):.0f}, max {max(sizes, default=0)}, "
          f"device ms mean {sum(device) / max(1, len(device)):.0f} max {max(device, default=0):.0f}; "
          f"'out of memory' {text.count('out of memory')}, 'device failure' {text.count('device failure')}, "
          f"'failed to translate on its own' {text.count('on its own')}, engine starts {text.count('engine started')}, stops {text.count(') stopped')}",
          flush=True)

if __name__ == "__main__":
    main()
