#!/usr/bin/env bash
# GPU call 60 (session 32): two replicas on one GPU (INTER_THREADS=2) with the final batcher (c892466), three
# paired rounds a level at 512 and 1,024 in flight.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=$R:/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
C="--model /tmp/models/600M --clients 16 --duration 4 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0 --lone-requests 2 --quality fast --rounds 3 --concurrency 512,1024"
b() { local name=$1; shift
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  (cd /tmp && timeout 130 python3 -m nllb bench $C "$@" --out $OUT/$name.json >> $OUT/tables.txt 2>$OUT/$name.err) || tail -5 $OUT/$name.err
}
b two-final --set INTER_THREADS=2
cd $OUT && tar czf results.tgz *.json *.err && rm -f *.json *.err
