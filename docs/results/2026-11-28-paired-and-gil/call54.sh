#!/usr/bin/env bash
# GPU call 54 (session 31): the box has no perf; /proc instead: the workers' user and system CPU a request at 256 in
# flight, their context switches, and the machine's interrupts.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH
export PYTHONPATH=$R:/tmp/site
{ nvidia-smi --query-gpu=name --format=csv,noheader; nproc; uname -r; echo "code $(cat .gpu/commit)"; } 2>&1 | tee $OUT/machine.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
for i in 1 2; do timeout 100 python3 .gpu/split_gpu.py /tmp/models/600M COMPUTE_TYPE=float16 DEVICE_INDEX=0 MAX_DECODING_LENGTH=48 2>&1 | tail -4; done | tee $OUT/split.txt
