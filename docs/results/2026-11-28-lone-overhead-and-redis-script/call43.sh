#!/usr/bin/env bash
# GPU call 43 (session 29): is the engine's slow answer phase (~40 us an answer) its thread being preempted by the
# workers it wakes (each core has a pinned worker)? The engine's delivery of a batch's answers run as SCHED_FIFO
# (an experiment patch, rt-deliver.patch, on a copy of the tree) against the code as it is, alternating, 256 and 512.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH
rm -rf /tmp/rt && mkdir -p /tmp/rt && cp -r nllb gunicorn.conf.py /tmp/rt/ && (cd /tmp/rt && patch -s -p1 < $R/.gpu/rt-deliver.patch) || exit 1
export PYTHONPATH=$R:/tmp/site
python3 -c "import nllb.frontend.app, nllb.engine.process, nllb.tools.bench" || exit 1
{ nvidia-smi --query-gpu=name --format=csv,noheader; nproc; echo "code 5fa1af1"; } | tee $OUT/machine.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
C="--model /tmp/models/600M --clients 16 --duration 8 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0 --quality fast"
b() { local name=$1 tree=$2; shift 2
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  (cd $tree && PYTHONPATH=$tree:/tmp/site timeout 75 python3 -m nllb bench $C "$@" --out $OUT/$name.json 2>$OUT/$name.err | grep "^| [0-9]" >> $OUT/tables.txt) || tail -3 $OUT/$name.err
}
for round in a b; do
  b base-$round $R --lone-requests 2 --concurrency 256,512
  export EXPERIMENT_RT_DELIVER=1; b rt-$round /tmp/rt --lone-requests 2 --concurrency 256,512; unset EXPERIMENT_RT_DELIVER
done
cd $OUT && tar czf results.tgz *.json *.err && rm -rf *.json *.err
