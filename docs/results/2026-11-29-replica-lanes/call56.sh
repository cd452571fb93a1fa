#!/usr/bin/env bash
# GPU call 56 (session 32): two model replicas on one GPU (INTER_THREADS=2: two CUDA streams, weights shared),
# the batcher's lanes (82dfcd7) against one shared queue (a7cf410, .gpu/old), and one replica, alternating.
# (The two-GPU kind was not lent this session.) 16 load processes, the service's GPU defaults otherwise.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
PYTHONPATH=$R:/tmp/site python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
C="--model /tmp/models/600M --clients 16 --duration 6 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0 --quality fast --lone-requests 2 --concurrency 256,512,1024"
b() { local name=$1 tree=$2; shift 2
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  (cd /tmp && PYTHONPATH=$tree:/tmp/site timeout 110 python3 -m nllb bench $C "$@" --out $OUT/$name.json >> $OUT/tables.txt 2>$OUT/$name.err) || tail -5 $OUT/$name.err
}
b one-replica $R
b two-replicas-lanes $R --set INTER_THREADS=2
b two-replicas-shared $R/.gpu/old --set INTER_THREADS=2
b one-replica-2 $R
b two-replicas-lanes-2 $R --set INTER_THREADS=2
cd $OUT && tar czf results.tgz *.json *.err && rm -f *.json *.err
