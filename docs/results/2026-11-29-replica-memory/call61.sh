#!/usr/bin/env bash
# GPU call 61 (session 33): one replica against two on one GPU (INTER_THREADS=2), 600M shape: the #12 closed-loop
# levels in two paired rounds, the open loop at 80%, and the engine's device memory while each runs.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=$R:/tmp/site
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
echo "code $(cat .gpu/commit)" >> $OUT/gpu.txt
date +%T >> $OUT/gpu.txt; python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null; date +%T >> $OUT/gpu.txt
# Device memory every 0.3 s: the engine's own (by pid) and the whole GPU's (the bench's raw translator included).
memory() {
  while true; do
    e=$(pgrep -f "nllb: engine" | head -1)
    own=$( [ -n "$e" ] && nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits | awk -F', ' -v p="$e" '$1==p{print $2}')
    echo "$(date +%T.%N | cut -c1-12) engine=${own:-?} total=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits)"
    sleep 0.3
  done
}
b() { local model=$1 name=$2; shift 2
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  memory > $OUT/$name.mem 2>&1 & local m=$!
  (cd /tmp && timeout 280 python3 -m nllb bench --model $model --clients 16 --set COMPUTE_TYPE=float16 \
     --set DEVICE_INDEX=0 --quality fast --lone-requests 2 "$@" --out $OUT/$name.json >> $OUT/tables.txt 2>$OUT/$name.err) \
     || tail -5 $OUT/$name.err
  kill $m
  echo "peak MiB: engine $(sed -n 's/.*engine=\([0-9]*\).*/\1/p' $OUT/$name.mem | sort -n | tail -1)," \
       "GPU $(sed -n 's/.*total=\([0-9]*\).*/\1/p' $OUT/$name.mem | sort -n | tail -1)" | tee -a $OUT/tables.txt
}
C="--duration 4 --rounds 2 --concurrency 256,512,1024 --open-loop 0.8"
b /tmp/models/600M two-600M $C --set INTER_THREADS=2
b /tmp/models/600M one-600M $C
cd $OUT && tar czf results.tgz *.json *.err *.mem && rm -f *.json *.err *.mem
