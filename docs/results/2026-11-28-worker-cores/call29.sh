#!/usr/bin/env bash
# GPU call 29 (session 27): (1) does a request cost more CPU when its worker idled before it? The worker's app in
# one process (.gpu/uncached_inproc.py, tiny model, echo engine) with 0-50 ms pauses between requests; (2) the
# workers' CPU per request by stage at 256 in flight (600M, float16, 48 tokens), workers free to move between cores
# and each pinned to a core of its own (PIN_WORKERS), alternating.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt; lscpu | grep -i "model name\|cache\|^CPU(s)\|Thread\|Socket" >> $OUT/gpu.txt
python3 -m nllb model synth --size tiny /tmp/models/tiny >/dev/null
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null &
for p in "0" "1" "5" "50" "5 SPIN" "0"; do set -- $p
  echo "pause $p ms: $(PAUSE_MS=$1 SPIN=$2 PYTHONPATH=$R:/tmp/site timeout 120 python3 .gpu/uncached_inproc.py /tmp/models/tiny 1000 2>&1 | tr '\n' ' ')" | tee -a $OUT/pauses.txt
done
wait
E="COMPUTE_TYPE=float16 DEVICE_INDEX=0 MAX_DECODING_LENGTH=48"
for run in free-1 pinned-1 free-2 pinned-2; do
  PIN=""; [ "${run%-*}" = pinned ] && PIN=1
  PIN_WORKERS=$PIN PYTHONPATH=$R:/tmp/site timeout 200 python3 .gpu/stages/run.py /tmp/models/600M 256 10 $OUT/st-$run $E > $OUT/st-$run.txt 2>$OUT/st-$run.err || tail -5 $OUT/st-$run.err
  echo "== $run"; cut -c1-200 $OUT/st-$run.txt; PYTHONPATH=$R:/tmp/site python3 .gpu/stages/analyse.py $OUT/st-$run | grep -v "pinned to" | tee $OUT/st-$run.analysis.txt; grep -c "pinned to" <(PYTHONPATH=$R:/tmp/site python3 .gpu/stages/analyse.py $OUT/st-$run)
done
cd $OUT && tar czf stages.tgz st-*/ *.err && rm -rf st-*/ *.err
