#!/usr/bin/env bash
# GPU call 2: HEAD (.before) vs working tree, alternating: closed loop 256/512/1024 + open 80%, then lone 200 pairs.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
C="--model /tmp/models/600M --clients 8 --duration 8 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0 --quality fast"
b() { # name dir args...
  local name=$1 dir=$2; shift 2
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  (cd $dir && timeout 240 python3 -m nllb bench $C "$@" --out $OUT/$name.json >> $OUT/tables.txt 2>$OUT/$name.err) || tail -5 $OUT/$name.err
}
b before-1 $R/.before --lone-requests 8 --concurrency 256,512,1024 --open-loop 0.8
b after-1 $R --lone-requests 8 --concurrency 256,512,1024 --open-loop 0.8
b lone-before $R/.before --lone-requests 200 --concurrency 1 --set MAX_DECODING_LENGTH=16
b lone-after $R --lone-requests 200 --concurrency 1 --set MAX_DECODING_LENGTH=16
b after-2 $R --lone-requests 8 --concurrency 256
b before-2 $R/.before --lone-requests 8 --concurrency 256
cd $OUT && tar czf results.tgz *.json *.err && rm -f *.json *.err
