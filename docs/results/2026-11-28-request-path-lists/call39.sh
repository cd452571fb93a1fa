#!/usr/bin/env bash
# GPU call 39 (session 28): the engine's answers signalled without letting the GIL go (the working tree then: inbox.py's
# eventfd_write through ctypes.PyDLL; not kept) — the timeline
# at 256 in flight, then nllb bench at 256 and 512 (16 load processes), 9a3ed79 (.gpu/base) then the working tree.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=$R:/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
E="COMPUTE_TYPE=float16 DEVICE_INDEX=0 MAX_DECODING_LENGTH=48"
timeout 100 python3 .gpu/timeline/run.py /tmp/models/600M 256 10 $OUT/tl-256 $E > $OUT/tl-256.txt 2>$OUT/tl-256.err || tail -5 $OUT/tl-256.err
python3 .gpu/timeline/analyse.py $OUT/tl-256 | tee $OUT/tl-256.analysis.txt
C="--model /tmp/models/600M --clients 16 --duration 8 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0 --quality fast --lone-requests 2"
b() { local tree=$1 name=$2; shift 2
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  (cd $tree && PYTHONPATH=$tree:/tmp/site timeout 90 python3 -m nllb bench $C "$@" --out $OUT/$name.json >> $OUT/tables.txt 2>$OUT/$name.err) || tail -5 $OUT/$name.err
}
b $R/.gpu/base before --concurrency 256,512
b $R after --concurrency 256,512
cd $OUT && tar czf results.tgz tl-256/ *.json *.err && rm -rf tl-256/ *.json *.err
