#!/usr/bin/env bash
# GPU call 28 (session 27): the workers' CPU per request by stage (.gpu/stages/sitecustomize.py: per-thread CPU
# between stage boundaries), closed loop at 256 in flight, twice; 600M, float16, 48-token outputs.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
E="COMPUTE_TYPE=float16 DEVICE_INDEX=0 MAX_DECODING_LENGTH=48"
for run in 256-1 256-2; do
  N=${run%-*}
  PYTHONPATH=$R:/tmp/site timeout 200 python3 .gpu/stages/run.py /tmp/models/600M $N 10 $OUT/st-$run $E > $OUT/st-$run.txt 2>$OUT/st-$run.err || tail -5 $OUT/st-$run.err
  echo "== $run"; cat $OUT/st-$run.txt; PYTHONPATH=$R:/tmp/site python3 .gpu/stages/analyse.py $OUT/st-$run | tee $OUT/st-$run.analysis.txt
done
cd $OUT && tar czf stages.tgz st-*/ *.err && rm -rf st-*/ *.err
