#!/usr/bin/env bash
# GPU call 58 (session 32): the rest of the #12 table with paired rounds (6af3a03): 256 in flight with one replica
# and with two, beam 4 at 256, 128-token outputs, the open loop.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=$R:/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
C="--model /tmp/models/600M --clients 16 --duration 6 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0 --lone-requests 2"
b() { local name=$1; shift
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  (cd /tmp && timeout 150 python3 -m nllb bench $C "$@" --out $OUT/$name.json >> $OUT/tables.txt 2>$OUT/$name.err) || tail -5 $OUT/$name.err
}
b greedy-256-one --quality fast --rounds 3 --concurrency 256
b greedy-256-two --quality fast --rounds 3 --concurrency 256 --set INTER_THREADS=2
b beam4-256 --quality balanced --rounds 3 --concurrency 256
b long-128 --quality fast --concurrency 256,512,1024 --set MAX_DECODING_LENGTH=128
b open-loop --quality fast --concurrency 1024 --open-loop 0.5,0.8,0.95
cd $OUT && tar czf results.tgz *.json *.err && rm -f *.json *.err
