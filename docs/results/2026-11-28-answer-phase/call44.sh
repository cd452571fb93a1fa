#!/usr/bin/env bash
# GPU call 44 (session 30): is the engine's slow answer phase (10-13 ms for 256 answers, ~40 us each) its threads
# sharing cores with the pinned workers they wake? Workers at nice 10 (an experiment patch, nice.patch, on a copy of
# the tree) against the code as it is, alternating, 256 and 512 in flight; the burst timeline at 256 both ways; the
# mechanism alone (share.py); whether the box allows SCHED_FIFO, and if so the answers delivered at SCHED_FIFO.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH
rm -rf /tmp/x && mkdir -p /tmp/x && cp -r nllb gunicorn.conf.py /tmp/x/ && (cd /tmp/x && patch -s -p1 < $R/.gpu/nice.patch) || exit 1
export PYTHONPATH=$R:/tmp/site
python3 -c "import nllb.frontend.app, nllb.engine.process, nllb.tools.bench" || exit 1
{ nvidia-smi --query-gpu=name --format=csv,noheader; nproc; uname -r; echo "code $(cat .gpu/commit)"; grep Cap /proc/self/status;
  python3 -c "import os; os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1)); print('SCHED_FIFO allowed')" 2>&1 | tail -1;
  python3 -c "import os; os.nice(-5); print('negative nice allowed')" 2>&1 | tail -1; } | tee $OUT/machine.txt
for n in 0 10 0 10; do timeout 20 python3 .gpu/share.py $n 700; done | tee $OUT/share.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
C="--model /tmp/models/600M --clients 16 --duration 8 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0 --quality fast"
b() { local name=$1 tree=$2; shift 2
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  (cd $tree && PYTHONPATH=$tree:/tmp/site timeout 75 python3 -m nllb bench $C "$@" --out $OUT/$name.json 2>$OUT/$name.err | grep "^| [0-9]" >> $OUT/tables.txt) || tail -3 $OUT/$name.err
}
tl() { local name=$1 tree=$2; shift 2
  echo "== timeline $name $(date +%T)" | tee -a $OUT/tables.txt
  (cd $tree && PYTHONPATH=$tree:/tmp/site timeout 45 python3 $R/.gpu/timeline/run.py /tmp/models/600M 256 8 $OUT/tl-$name \
    COMPUTE_TYPE=float16 DEVICE_INDEX=0 MAX_DECODING_LENGTH=48 "$@" >/dev/null 2>$OUT/tl-$name.err) \
    && python3 .gpu/timeline/analyse.py $OUT/tl-$name >> $OUT/tables.txt
}
for round in a b; do
  b base-$round $R --lone-requests 2 --concurrency 256,512
  b nice-$round /tmp/x --lone-requests 2 --concurrency 256,512 --set EXPERIMENT_WORKER_NICE=10
done
tl base $R
tl nice /tmp/x EXPERIMENT_WORKER_NICE=10
if grep -q "SCHED_FIFO allowed" $OUT/machine.txt; then
  b rt-a /tmp/x --lone-requests 2 --concurrency 256,512 --set EXPERIMENT_RT_ANSWERS=1
fi
cd $OUT && tar czf results.tgz *.json *.err tl-* && rm -rf *.json *.err tl-*
