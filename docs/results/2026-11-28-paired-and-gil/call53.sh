#!/usr/bin/env bash
# GPU call 53 (session 31): perf on every worker at 256 in flight: what the CPU outside Python is.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH
export PYTHONPATH=$R:/tmp/site
{ nvidia-smi --query-gpu=name --format=csv,noheader; nproc; uname -r; echo "code $(cat .gpu/commit)"; which perf; perf --version; } 2>&1 | tee $OUT/machine.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
timeout 150 python3 .gpu/perf_gpu.py /tmp/models/600M $OUT COMPUTE_TYPE=float16 DEVICE_INDEX=0 MAX_DECODING_LENGTH=48 2>&1 | tail -3
cd $OUT && perf report -i perf.data --stdio --no-children --sort dso -g none 2>/dev/null | grep -v "^#" | grep -v "^$" | head -25 > by-dso.txt
perf report -i perf.data --stdio --no-children --sort sym -g none 2>/dev/null | grep -v "^#" | grep -v "^$" | head -120 > by-symbol.txt
perf report -i perf.data --stdio --children --sort sym -g none 2>/dev/null | grep -v "^#" | grep -v "^$" | head -150 > by-symbol-children.txt
rm -f perf.data; ls -la; head -20 by-dso.txt
