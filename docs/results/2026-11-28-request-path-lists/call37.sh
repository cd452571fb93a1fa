#!/usr/bin/env bash
# GPU call 37 (session 28): where a burst's time goes now (code without numpy on the request path): every request's
# stages stamped in the engine and the workers (.gpu/timeline/sitecustomize.py), closed loop at 256 (twice) and 512.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
E="COMPUTE_TYPE=float16 DEVICE_INDEX=0 MAX_DECODING_LENGTH=48"
for run in 256-1 512-1 256-2; do
  N=${run%-*}
  PYTHONPATH=$R:/tmp/site timeout 200 python3 .gpu/timeline/run.py /tmp/models/600M $N 10 $OUT/tl-$run $E > $OUT/tl-$run.txt 2>$OUT/tl-$run.err || tail -5 $OUT/tl-$run.err
  echo "== $run"; cat $OUT/tl-$run.txt; PYTHONPATH=$R:/tmp/site python3 .gpu/timeline/analyse.py $OUT/tl-$run | tee $OUT/tl-$run.analysis.txt
done
cd $OUT && tar czf stamps.tgz tl-*/ *.err && rm -rf tl-*/ *.err
