#!/usr/bin/env bash
# GPU call 50 (session 31): does a worker's letting the GIL go at each quick system call slow a burst's return?
# keepgil.patch, on when EXPERIMENT_KEEP_GIL=1: a response's head and body in one send; the hang-up and keep-alive
# peeks, the eventfd read after the wake-up and the log line's write through ctypes.PyDLL (which keeps the GIL);
# five fewer GIL releases a request. 256 and 512 in flight, alternating, three rounds.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH
rm -rf /tmp/x && mkdir -p /tmp/x && cp -r nllb gunicorn.conf.py /tmp/x/ && (cd /tmp/x && patch -s -p0 < $R/.gpu/keepgil.patch) || exit 1
export PYTHONPATH=/tmp/x:/tmp/site
python3 -c "import nllb.frontend.app, nllb.frontend.worker, nllb.engine.process, nllb.tools.bench" || exit 1
{ nvidia-smi --query-gpu=name --format=csv,noheader; nproc; uname -r; echo "code $(cat .gpu/commit) + keepgil.patch"; } | tee $OUT/machine.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
C="--model /tmp/models/600M --clients 16 --duration 8 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0 --quality fast"
# Voluntary context switches and CPU of every worker thread, once a second, to divide by requests per level.
python3 - > $OUT/switches.txt <<'PY' &
import os, time
while True:
    vol = cpu = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit(): continue
        try:
            if not open(f"/proc/{pid}/cmdline", "rb").read().startswith(b"nllb: worker"): continue
            for t in os.listdir(f"/proc/{pid}/task"):
                vol += int(open(f"/proc/{pid}/task/{t}/status").read().split("voluntary_ctxt_switches:")[1].split()[0])
                f = open(f"/proc/{pid}/task/{t}/stat").read().rsplit(")", 1)[1].split(); cpu += int(f[11]) + int(f[12])
        except (OSError, IndexError): pass
    print(f"{time.time():.1f} {vol} {cpu}", flush=True); time.sleep(1)
PY
SAMPLER=$!
b() { local name=$1; shift 1
  echo "== $name $(date +%T) $(date +%s)" | tee -a $OUT/tables.txt
  (cd /tmp/x && timeout 80 python3 -m nllb bench $C --lone-requests 2 --concurrency 256,512 "$@" \
     --out $OUT/$name.json 2>$OUT/$name.err | grep "^| [0-9]" >> $OUT/tables.txt) || tail -3 $OUT/$name.err
}
b base-a
b keep-a --set EXPERIMENT_KEEP_GIL=1
b keep-b --set EXPERIMENT_KEEP_GIL=1
b base-b
b base-c
b keep-c --set EXPERIMENT_KEEP_GIL=1
kill $SAMPLER
cd $OUT && tar czf results.tgz *.json *.err && rm -rf *.json *.err
