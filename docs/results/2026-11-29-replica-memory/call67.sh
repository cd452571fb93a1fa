#!/usr/bin/env bash
# GPU call 67 (session 33): with the device-memory limit and all but 16 GiB of the H200 taken, 128-token outputs at
# 1,024 in flight (call 64: 133.8 sentences/s before), and two replicas (INTER_THREADS=2) at 1,024.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=$R:/tmp/site
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
echo "code $(cat .gpu/commit)" >> $OUT/gpu.txt
python3 -m nllb model synth --size 3.3B /tmp/models/3.3B >/dev/null; date +%T >> $OUT/gpu.txt
o() { (cd /tmp && timeout 170 python3 $R/.gpu/oom.py /tmp/models/3.3B "$@" 2>>$OUT/err.txt) | tee -a $OUT/out.txt; }
o 16 $OUT small-128 1024 MAX_DECODING_LENGTH=128
o 16 $OUT small-48-two 1024 MAX_DECODING_LENGTH=48 INTER_THREADS=2
grep -h "ran out of memory" $OUT/*.log | cut -c1-400 > $OUT/lowered.txt
cd $OUT && tar czf logs.tgz *.log && rm -f *.log
