#!/usr/bin/env bash
# GPU call 51 (session 31): py-spy of one worker and the engine at 256 in flight (code as committed, no patch).
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
mkdir -p /tmp/pyspy && (cd /tmp/pyspy && python3 -m zipfile -e $R/.gpu/py_spy-*.whl . && chmod +x py_spy-0.4.3.data/scripts/py-spy)
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH
export PYTHONPATH=$R:/tmp/site
{ nvidia-smi --query-gpu=name --format=csv,noheader; nproc; uname -r; echo "code $(cat .gpu/commit)"; } | tee $OUT/machine.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
timeout 120 python3 .gpu/spy_gpu.py /tmp/models/600M $OUT COMPUTE_TYPE=float16 DEVICE_INDEX=0 MAX_DECODING_LENGTH=48 \
  2>&1 | tail -5
ls -la $OUT
