#!/usr/bin/env bash
# GPU call 33 (session 27): a core left to the engine? 16 workers pinned to the 16 cores (the engine shares one)
# against 15 workers pinned to 15 (PIN_WORKERS=true; the engine floats, usually onto the 16th), 256 in flight,
# alternating, two rounds.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
C="--model /tmp/models/600M --clients 8 --duration 8 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0 --quality fast --lone-requests 2 --concurrency 256"
b() { local name=$1 t=$2; shift 2
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  timeout $t python3 -m nllb bench $C "$@" --out $OUT/$name.json >> $OUT/tables.txt 2>$OUT/$name.err || tail -5 $OUT/$name.err
}
b w16-1 60 --workers 16 --set PIN_WORKERS=true
b w15-1 60 --workers 15 --set PIN_WORKERS=true
b w16-2 60 --workers 16 --set PIN_WORKERS=true
b w15-2 60 --workers 15 --set PIN_WORKERS=true
grep -h "^| 256\|^==" $OUT/tables.txt
cd $OUT && tar czf results.tgz *.json *.err && rm -f *.json *.err
