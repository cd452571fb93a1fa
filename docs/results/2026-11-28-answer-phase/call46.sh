#!/usr/bin/env bash
# GPU call 46 (session 30): what the engine's answer phase is made of (probe.patch logs, per batch, the time from the
# device call's end to the first answer, the answer loop split into token-id mapping and Inbox.answer, and the
# signalling), and two variants guarded by variables in the same patch: every answer written before any is signalled
# (EXPERIMENT_TWO_PHASE), and a worker's slots reused last-in first-out (EXPERIMENT_LIFO, so a worker's few busy
# slots stay in caches and TLBs instead of rotating through all 256). 256 and 512 in flight, alternating.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH
rm -rf /tmp/x && mkdir -p /tmp/x && cp -r nllb gunicorn.conf.py /tmp/x/ && (cd /tmp/x && patch -s -p1 < $R/.gpu/probe.patch) || exit 1
export PYTHONPATH=/tmp/x:/tmp/site
python3 -c "import nllb.frontend.app, nllb.engine.process, nllb.tools.bench" || exit 1
{ nvidia-smi --query-gpu=name --format=csv,noheader; nproc; uname -r; echo "code $(cat .gpu/commit) + probe.patch"; } | tee $OUT/machine.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
C="--model /tmp/models/600M --clients 16 --duration 8 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0 --quality fast"
b() { local name=$1; shift 1
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  (cd /tmp/x && timeout 75 python3 -m nllb bench $C --lone-requests 2 --concurrency 256,512 --set PROBE_FILE=$OUT/probe-$name.txt "$@" \
     --out $OUT/$name.json 2>$OUT/$name.err | grep "^| [0-9]" >> $OUT/tables.txt) || tail -3 $OUT/$name.err
}
tl() { local name=$1; shift 1
  echo "== timeline $name $(date +%T)" | tee -a $OUT/tables.txt
  (cd /tmp/x && timeout 45 python3 $R/.gpu/timeline/run.py /tmp/models/600M 256 8 $OUT/tl-$name \
    COMPUTE_TYPE=float16 DEVICE_INDEX=0 MAX_DECODING_LENGTH=48 "$@" >/dev/null 2>$OUT/tl-$name.err) \
    && python3 .gpu/timeline/analyse.py $OUT/tl-$name >> $OUT/tables.txt
}
b base-a
b two-a --set EXPERIMENT_TWO_PHASE=1
b lifo-a --set EXPERIMENT_LIFO=1
b both-a --set EXPERIMENT_TWO_PHASE=1 --set EXPERIMENT_LIFO=1
b base-b
tl base
tl both EXPERIMENT_TWO_PHASE=1 EXPERIMENT_LIFO=1
python3 - $OUT <<'PY' | tee -a $OUT/tables.txt
import json, statistics, sys, pathlib
for f in sorted(pathlib.Path(sys.argv[1]).glob("probe-*.txt")):
    rows = [json.loads(l) for l in f.read_text().splitlines() if l.strip()]
    for lo, hi in ((200, 400), (400, 2000)):
        big = [r for r in rows if lo <= r["n"] < hi]
        if not big: continue
        med = lambda k: statistics.median(r[k] for r in big)
        print(f"{f.stem}: {len(big)} batches of {lo}-{hi} answers, medians ms: since end {med('since_end_ms'):.2f}, loop {med('loop_ms'):.2f} "
              f"(map {med('map_ms'):.2f}, answer {med('answer_ms'):.2f}), signal {med('signal_ms'):.2f}; answers {med('n'):.0f}")
PY
cd $OUT && tar czf results.tgz *.json *.err tl-* probe-* && rm -rf *.json *.err tl-* probe-*
