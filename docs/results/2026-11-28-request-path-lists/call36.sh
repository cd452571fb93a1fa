#!/usr/bin/env bash
# GPU call 36 (session 28): two GPUs of one host against one at 1,024 in flight, workers pinned (PIN_WORKERS=true:
# `auto` leaves 16 workers on 32 cores free), code without numpy on the request path.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=$R:/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
C="--model /tmp/models/600M --clients 16 --duration 8 --set COMPUTE_TYPE=float16 --quality fast --lone-requests 2 --set PIN_WORKERS=true"
b() { local name=$1 t=$2; shift 2
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  timeout $t python3 -m nllb bench $C "$@" --out $OUT/$name.json >> $OUT/tables.txt 2>$OUT/$name.err || tail -5 $OUT/$name.err
}
b one-gpu 90 --set DEVICE_INDEX=0 --concurrency 1024
b two-gpus 110 --set DEVICE_INDEX=0,1 --concurrency 1024,2048
cd $OUT && tar czf results.tgz *.json *.err && rm -f *.json *.err
