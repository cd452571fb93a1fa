#!/usr/bin/env bash
# GPU call 38 (session 28): is the load generator part of the burst? The timeline (call 37) put a client's
# turnaround at ~3.5 ms (response sent -> next head complete) with 32 connections per load process. nllb bench
# greedy 256/512/1,024 with 8 and with 16 load processes, alternating, twice; code of this call's HEAD.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=$R:/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
C="--model /tmp/models/600M --duration 8 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0 --quality fast --lone-requests 2"
b() { local name=$1 t=$2; shift 2
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  timeout $t python3 -m nllb bench $C "$@" --out $OUT/$name.json >> $OUT/tables.txt 2>$OUT/$name.err || tail -5 $OUT/$name.err
}
b clients8-1 110 --clients 8 --concurrency 256,512,1024
b clients16-1 110 --clients 16 --concurrency 256,512,1024
b clients8-2 110 --clients 8 --concurrency 256,512,1024
b clients16-2 110 --clients 16 --concurrency 256,512,1024
cd $OUT && tar czf results.tgz *.json *.err && rm -f *.json *.err
