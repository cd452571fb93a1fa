#!/usr/bin/env bash
# GPU call 57 (session 32): the #12 greedy targets with each level's raw ceiling and service side by side in three
# rounds (6af3a03), one replica and two (INTER_THREADS=2, lanes); then the lone request, 200 pairs at 16 tokens.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=$R:/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
C="--model /tmp/models/600M --clients 16 --duration 6 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0 --quality fast"
b() { local name=$1; shift
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  (cd /tmp && timeout 200 python3 -m nllb bench $C "$@" --out $OUT/$name.json >> $OUT/tables.txt 2>$OUT/$name.err) || tail -5 $OUT/$name.err
}
b one-replica --rounds 3 --lone-requests 2 --concurrency 256,512,1024
b two-replicas --rounds 3 --lone-requests 2 --concurrency 512,1024 --set INTER_THREADS=2
b lone --lone-requests 200 --concurrency 1 --set MAX_DECODING_LENGTH=16
cd $OUT && tar czf results.tgz *.json *.err && rm -f *.json *.err
