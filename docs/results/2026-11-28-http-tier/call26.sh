#!/usr/bin/env bash
# GPU call 26 (session 26): the workers' CPU per request at 256 in flight (cpu_census.py) as the same threads are
# spread over more processes (fewer threads per GIL): 16 x 256 (the GPU default), 32 x 128, 64 x 64; alternating.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
E="COMPUTE_TYPE=float16 DEVICE_INDEX=0 MAX_DECODING_LENGTH=48"
for round in 1 2; do
  for shape in 16x256 32x128 64x64; do
    W=${shape%x*}; T=${shape#*x}
    PYTHONPATH=$R:/tmp/site timeout 150 python3 .gpu/cpu_census.py /tmp/models/600M 256 10 $OUT/census-$shape-$round.txt $E WORKERS=$W THREADS=$T > /dev/null 2>$OUT/census-$shape-$round.err || tail -5 $OUT/census-$shape-$round.err
    echo "== $shape round $round"; head -4 $OUT/census-$shape-$round.txt; grep "nllb: worker\|nllb: engine" $OUT/census-$shape-$round.txt
  done
done
cd $OUT && tar czf results.tgz *.err && rm -f *.err
