#!/usr/bin/env bash
# GPU call 42 (session 29): the lone request's overhead, over a direct call and over the engine's own device call
# (bench since this commit), four runs of 200 pairs on one box, to see which figure holds still.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=$R:/tmp/site
python3 -c "import nllb.frontend.app, nllb.engine.process, nllb.tools.bench" || exit 1
{ nvidia-smi --query-gpu=name --format=csv,noheader; nproc; echo "code 5fa1af1"; } | tee $OUT/machine.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
C="--model /tmp/models/600M --clients 16 --duration 2 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0 --quality fast"
for run in a b c d; do
  echo "== lone-$run $(date +%T)" | tee -a $OUT/tables.txt
  timeout 70 python3 -m nllb bench $C --lone-requests 200 --concurrency 1 --set MAX_DECODING_LENGTH=16 \
    --out $OUT/lone-$run.json 2>$OUT/lone-$run.err | head -2 >> $OUT/tables.txt || tail -5 $OUT/lone-$run.err
done
cd $OUT && tar czf results.tgz *.json *.err && rm -rf *.json *.err
