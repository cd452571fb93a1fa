#!/usr/bin/env bash
# GPU call 66 (session 33): call 64 again with the batcher's device-memory limit (the whole H200, then all but 16 GiB
# of it taken by another process).
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
o 0 $OUT whole-48 256,1024 MAX_DECODING_LENGTH=48
o 16 $OUT small-48 256,1024 MAX_DECODING_LENGTH=48

grep -h "ran out of memory" $OUT/*.log | cut -c1-400 > $OUT/lowered.txt
cd $OUT && tar czf logs.tgz *.log && rm -f *.log
