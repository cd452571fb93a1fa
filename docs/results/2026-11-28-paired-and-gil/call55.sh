#!/usr/bin/env bash
# GPU call 55 (session 31): does less Python per request move a burst? gunicorn's C request parser (gunicorn_h1c
# 0.6.10, built here from its sdist for cp312; gunicorn 27 takes it up in its default 'auto' mode) cuts a request's
# parse from ~50 to ~30 µs on the VM. nllb bench at 256 and 512, without and with it on the workers' path, alternating.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/h1c-site .gpu/h1c/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH
export PYTHONPATH=$R:/tmp/site
{ nvidia-smi --query-gpu=name --format=csv,noheader; nproc; uname -r; echo "code $(cat .gpu/commit)"; } 2>&1 | tee $OUT/machine.txt
PYTHONPATH=$R:/tmp/site:/tmp/h1c-site python3 -c "
from gunicorn.config import Config; from gunicorn.http import message
print('fast parser in use with h1c-site:', message._check_fast_parser(Config()))" | tee -a $OUT/machine.txt
python3 -c "
from gunicorn.config import Config; from gunicorn.http import message
print('fast parser in use without:', message._check_fast_parser(Config()))" | tee -a $OUT/machine.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
C="--model /tmp/models/600M --clients 16 --duration 8 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0 --quality fast"
b() { local name=$1 path=$2
  echo "== $name $(date +%T)" | tee -a $OUT/tables.txt
  (PYTHONPATH=$path timeout 80 python3 -m nllb bench $C --lone-requests 2 --concurrency 256,512 \
     --out $OUT/$name.json 2>$OUT/$name.err | grep "^| [0-9]" >> $OUT/tables.txt) || tail -3 $OUT/$name.err
}
b python-a $R:/tmp/site
b c-a $R:/tmp/site:/tmp/h1c-site
b c-b $R:/tmp/site:/tmp/h1c-site
b python-b $R:/tmp/site
cd $OUT && tar czf results.tgz *.json *.err && rm -rf *.json *.err
