#!/usr/bin/env bash
# GPU call 35 (session 28): the #12 targets on the code without numpy on the request path (HEAD of this call):
# greedy 256/512/1,024 and the open loop, beam 4 at 256, lone requests (16 tokens), 128-token outputs.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=$R:/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
C="--model /tmp/models/600M --clients 8 --duration 8 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0"
b() { local name=$1 t=$2; shift 2
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  timeout $t python3 -m nllb bench $C "$@" --out $OUT/$name.json >> $OUT/tables.txt 2>$OUT/$name.err || tail -5 $OUT/$name.err
}
b greedy 150 --quality fast --lone-requests 2 --concurrency 256,512,1024 --open-loop 0.5,0.8,0.95
b lone 70 --quality fast --lone-requests 200 --concurrency 1 --set MAX_DECODING_LENGTH=16
b beam4 70 --quality balanced --lone-requests 2 --concurrency 256
b greedy-128 110 --quality fast --lone-requests 2 --concurrency 256,512,1024 --set MAX_DECODING_LENGTH=128
cd $OUT && tar czf results.tgz *.json *.err && rm -f *.json *.err
