#!/usr/bin/env bash
# GPU call 49 (session 30): is "cold" the vCPU halting? One SCHED_IDLE busy loop pinned on every core keeps each vCPU
# running (a woken thread preempts it at once), against the box as it is, alternating: the worker's app in one
# process after 5 ms asleep; lone requests (16-token outputs); 256 and 512 in flight.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=$R:/tmp/site
python3 -c "import nllb.frontend.app, nllb.engine.process, nllb.tools.bench" || exit 1
{ nvidia-smi --query-gpu=name --format=csv,noheader; nproc; uname -r; echo "code $(cat .gpu/commit)"; } | tee $OUT/machine.txt
spin_on() { for c in $(seq 0 $(($(nproc) - 1))); do taskset -c $c chrt -i 0 python3 -c "while True: pass" & done; sleep 0.5; }
spin_off() { pkill -f "while True: pass"; sleep 0.5; }
python3 -m nllb model synth --size tiny /tmp/models/tiny >/dev/null
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
app() { echo "== app after 5 ms asleep, $1" | tee -a $OUT/tables.txt
  PAUSE_MS=5 taskset -c 3 timeout 60 python3 .gpu/uncached_median.py /tmp/models/tiny 300 2>&1 | grep "CPU per" | tee -a $OUT/tables.txt; }
app plain; spin_on; app spinners; spin_off
C="--model /tmp/models/600M --clients 16 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0 --quality fast"
b() { local name=$1 t=$2; shift 2
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  timeout $t python3 -m nllb bench $C "$@" --out $OUT/$name.json 2>$OUT/$name.err | grep "^lone\|^| [0-9]" >> $OUT/tables.txt || tail -3 $OUT/$name.err
}
for r in a b; do
  b lone-plain-$r 60 --duration 2 --lone-requests 200 --concurrency 1 --set MAX_DECODING_LENGTH=16
  spin_on; b lone-spin-$r 60 --duration 2 --lone-requests 200 --concurrency 1 --set MAX_DECODING_LENGTH=16; spin_off
done
for r in a b; do
  b burst-plain-$r 75 --duration 8 --lone-requests 2 --concurrency 256,512
  spin_on; b burst-spin-$r 75 --duration 8 --lone-requests 2 --concurrency 256,512; spin_off
done
cd $OUT && tar czf results.tgz *.json *.err && rm -rf *.json *.err
