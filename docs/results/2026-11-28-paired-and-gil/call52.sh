#!/usr/bin/env bash
# GPU call 52 (session 31): is the per-node rate limiter on a burst's path? Every bench request carries one token, so
# a burst's 256 requests meet at one stripe of the limiter's table (a thread lock per worker, an fcntl lock across
# them). nllb bench at 256 and 512 in flight with RATE_LIMIT_ENABLED true (as deployed) and false, alternating.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH
export PYTHONPATH=$R:/tmp/site
{ nvidia-smi --query-gpu=name --format=csv,noheader; nproc; uname -r; echo "code $(cat .gpu/commit)"; } | tee $OUT/machine.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
C="--model /tmp/models/600M --clients 16 --duration 8 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0 --quality fast"
b() { local name=$1; shift 1
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  (timeout 80 python3 -m nllb bench $C --lone-requests 2 --concurrency 256,512 "$@" \
     --out $OUT/$name.json 2>$OUT/$name.err | grep "^| [0-9]" >> $OUT/tables.txt) || tail -3 $OUT/$name.err
}
b limits-a
b off-a --set RATE_LIMIT_ENABLED=false
b off-b --set RATE_LIMIT_ENABLED=false
b limits-b
b limits-c
b off-c --set RATE_LIMIT_ENABLED=false
cd $OUT && tar czf results.tgz *.json *.err && rm -rf *.json *.err
