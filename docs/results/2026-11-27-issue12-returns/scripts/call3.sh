#!/usr/bin/env bash
# GPU call 3: final table of the working tree, HEAD baseline at 256, lone pair, py-spy under 256, beam 4.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
C="--model /tmp/models/600M --clients 8 --duration 8 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0"
b() { # name dir timeout args...
  local name=$1 dir=$2 t=$3; shift 3
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  (cd $dir && timeout $t python3 -m nllb bench $C "$@" --out $OUT/$name.json >> $OUT/tables.txt 2>$OUT/$name.err) || tail -5 $OUT/$name.err
}
b greedy $R 200 --quality fast --lone-requests 20 --concurrency 1,256,512,1024 --open-loop 0.5,0.8,0.95
b lone-after $R 100 --quality fast --lone-requests 200 --concurrency 1 --set MAX_DECODING_LENGTH=16
b lone-before $R/.before 100 --quality fast --lone-requests 200 --concurrency 1 --set MAX_DECODING_LENGTH=16
b before-256 $R/.before 100 --quality fast --lone-requests 4 --concurrency 256
b after-256 $R 100 --quality fast --lone-requests 4 --concurrency 256
# profile: engine and one worker under 256 in flight
(cd $R && timeout 120 python3 -m nllb bench $C --quality fast --lone-requests 2 --concurrency 256 --duration 24 > $OUT/profile.md 2>$OUT/profile.err) &
for i in $(seq 60); do grep -q "measuring the service" $OUT/profile.err 2>/dev/null && break; sleep 2; done
sleep 6
E=$(pgrep -f "nllb: engine" | head -1); W=$(pgrep -f "nllb: worker" | head -1)
SPY=/tmp/site/bin/py-spy
$SPY record --pid $E --duration 10 --rate 200 --format raw --output $OUT/py-spy-engine-256.txt --threads --nonblocking >/dev/null 2>&1 &
$SPY record --pid $W --duration 10 --rate 200 --format raw --output $OUT/py-spy-worker-256.txt --nonblocking >/dev/null 2>&1 &
top -b -H -n 1 -d 1 -p $E | head -20 > $OUT/top-engine.txt
wait
b beam4 $R 100 --quality balanced --lone-requests 2 --concurrency 256
cd $OUT && tar czf results.tgz *.json *.err *.md top-engine.txt && rm -f *.json *.err *.md top-engine.txt
ls
