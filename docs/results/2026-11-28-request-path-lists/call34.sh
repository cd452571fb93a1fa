#!/usr/bin/env bash
# GPU call 34 (session 28): numpy off the worker's request path (working tree) against 8a8ff1f (.gpu/base),
# alternating on one box: nllb bench greedy 256 and 1,024 in flight, twice each; lone requests (16 tokens);
# the in-process app, cold (after 5 ms asleep) and warm.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
B=$R/.gpu/base
export PYTHONPATH=$R:/tmp/site
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
[ -f /tmp/models/tiny/model.bin ] || python3 -m nllb model synth --size tiny /tmp/models/tiny >/dev/null
C="--model /tmp/models/600M --clients 8 --duration 8 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0"
b() { local tree=$1 name=$2 t=$3; shift 3
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  (cd $tree && PYTHONPATH=$tree:/tmp/site timeout $t python3 -m nllb bench $C "$@" --out $OUT/$name.json >> $OUT/tables.txt 2>$OUT/$name.err) || tail -5 $OUT/$name.err
}
inproc() { local tree=$1 name=$2
  for p in 0 5; do
    echo "== inproc $name PAUSE_MS=$p: $(cd $tree && PAUSE_MS=$p PYTHONPATH=$tree:/tmp/site timeout 120 python3 $R/.gpu/uncached_median.py /tmp/models/tiny 1000 2>&1 | grep CPU | awk '{print $4}' | tr '\n' ' ')" | tee -a $OUT/tables.txt
  done
}
inproc $B base-1; inproc $R new-1; inproc $B base-2; inproc $R new-2
b $B base-1 110 --quality fast --lone-requests 2 --concurrency 256,1024
b $R new-1 110 --quality fast --lone-requests 2 --concurrency 256,1024
b $B base-2 110 --quality fast --lone-requests 2 --concurrency 256,1024
b $R new-2 110 --quality fast --lone-requests 2 --concurrency 256,1024
b $B lone-base 70 --quality fast --lone-requests 200 --concurrency 1 --set MAX_DECODING_LENGTH=16
b $R lone-new 70 --quality fast --lone-requests 200 --concurrency 1 --set MAX_DECODING_LENGTH=16
cd $OUT && tar czf results.tgz *.json *.err && rm -f *.json *.err
