#!/usr/bin/env bash
# GPU call 15 (session 24): the GIL switch interval of the service processes, 5 ms (A, the default) against 0.5 ms (S, set by a sitecustomize on the service's PYTHONPATH), code of this session.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
E="COMPUTE_TYPE=float16 DEVICE_INDEX=0 MAX_DECODING_LENGTH=48"
C="--model /tmp/models/600M --clients 8 --duration 8 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0 --quality fast --lone-requests 2"
b() { local name=$1 dir=$2; shift 2
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  (cd $dir && timeout 200 python3 -m nllb bench $C "$@" --out $OUT/$name.json >> $OUT/tables.txt 2>$OUT/$name.err) || tail -5 $OUT/$name.err
}
S="--set PYTHONPATH=$R/.gpu/swi:/tmp/site --set NLLB_X_SWITCH=0.0005"
b A-48 $R --concurrency 256,1024
b S-48 $R --concurrency 256,1024 $S
b A2-48 $R --concurrency 256,1024
b S2-48 $R --concurrency 256,1024 $S
cd $OUT && tar czf results.tgz *.json *.err && rm -f *.json *.err
