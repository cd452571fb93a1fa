#!/usr/bin/env bash
# GPU call 45 (session 30): the answer phase in isolation (wake.py: 240 eventfd writes to threads of processes pinned
# on the other cores, against one doorbell per process), and the box's steal time across a bench run at 256.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=$R:/tmp/site
{ nvidia-smi --query-gpu=name --format=csv,noheader; nproc; uname -r; echo "code $(cat .gpu/commit)"; } | tee $OUT/machine.txt
for w in 700 0; do timeout 40 python3 .gpu/wake.py $w; done | tee $OUT/wake.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
C="--model /tmp/models/600M --clients 16 --duration 8 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0 --quality fast"
head -1 /proc/stat > $OUT/stat.txt
timeout 75 python3 -m nllb bench $C --lone-requests 2 --concurrency 256 --out $OUT/base.json 2>$OUT/base.err | grep "^| [0-9]" | tee $OUT/tables.txt
head -1 /proc/stat >> $OUT/stat.txt; cat $OUT/stat.txt
