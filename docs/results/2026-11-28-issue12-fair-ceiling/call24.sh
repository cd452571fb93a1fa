#!/usr/bin/env bash
# GPU call 24 (session 25): raw translate_batch of 288 sentences under four conditions (device_time.py).
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
for i in 1 2; do PYTHONPATH=$R:/tmp/site timeout 200 python3 .gpu/device_time.py /tmp/models/600M >> $OUT/tables.txt 2>>$OUT/device_time.err || tail -5 $OUT/device_time.err; done
nvidia-smi --query-gpu=clocks.sm,clocks.max.sm,power.draw --format=csv >> $OUT/tables.txt
