#!/usr/bin/env bash
# GPU call 40 (session 29): does a core kept for the engine speed a burst's answers? 16 workers pinned (today's
# default) against 14 workers pinned to cores 0-13 with the engine's threads on cores 14-15 (pinned from outside by
# taskset: an experiment, not product code), alternating, at 256 and 512 in flight; then where a lone request's
# overhead goes on this box (the timeline at 1 in flight, 16-token outputs) and the lone overhead both ways.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=$R:/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
python3 -c "import nllb.frontend.app, nllb.engine.process, nllb.tools.bench" || exit 1
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
C="--model /tmp/models/600M --clients 16 --duration 8 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0 --quality fast"
pin_engine() { while true; do for p in $(pgrep -f "nllb: engine"); do taskset -a -p -c $1 $p >/dev/null 2>&1; done; sleep 0.3; done; }
b() { local name=$1 t=$2; shift 2
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  timeout $t python3 -m nllb bench $C "$@" --out $OUT/$name.json >> $OUT/tables.txt 2>$OUT/$name.err || tail -5 $OUT/$name.err
}
e2() { pin_engine 14,15 & local P=$!; b "$@" --workers 14 --set PIN_WORKERS=true; kill $P; }
b p16-a 100 --lone-requests 2 --concurrency 256,512
e2 e2-a 100 --lone-requests 2 --concurrency 256,512
b p16-b 100 --lone-requests 2 --concurrency 256,512
e2 e2-b 100 --lone-requests 2 --concurrency 256,512
b lone-p16 60 --lone-requests 200 --concurrency 1 --set MAX_DECODING_LENGTH=16
e2 lone-e2 60 --lone-requests 200 --concurrency 1 --set MAX_DECODING_LENGTH=16
echo "== timeline lone $(date +%T)" | tee -a $OUT/tables.txt
timeout 60 python3 .gpu/timeline/run.py /tmp/models/600M 1 8 $OUT/tl-lone COMPUTE_TYPE=float16 DEVICE_INDEX=0 \
  MAX_DECODING_LENGTH=16 >> $OUT/tables.txt 2>$OUT/tl.err && python3 .gpu/timeline/analyse.py $OUT/tl-lone >> $OUT/tables.txt
cd $OUT && tar czf results.tgz *.json *.err tl-lone && rm -rf *.json *.err tl-lone
