#!/usr/bin/env bash
# GPU call 1: lone path (HEAD vs inline delivery), batch decisions at 256/1024 (diag), patience variant, switch interval.
set -x
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONUNBUFFERED=1
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name --format=csv,noheader
PYTHONPATH=/tmp/site:$R python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
E="COMPUTE_TYPE=float16 DEVICE_INDEX=0"
# diag copies (cwd must be the copy's parent: python -m puts cwd first on sys.path)
mkdir -p /tmp/diag /tmp/wait100 /tmp/swi
PYTHONPATH=/tmp/site python3 .gpu/diag_apply.py $R/nllb /tmp/diag/nllb
PYTHONPATH=/tmp/site python3 .gpu/diag_apply.py $R/nllb /tmp/wait100/nllb 100
cp -r /tmp/diag/nllb /tmp/swi/nllb
echo 'import sys; sys.setswitchinterval(0.0005)' > /tmp/swi/sitecustomize.py
lone() { (cd $1 && PYTHONPATH=$1:/tmp/site timeout 150 python3 $R/.gpu/lonediag.py /tmp/models/600M 200 $E MAX_DECODING_LENGTH=16) ; }
cohort() { mkdir -p $OUT/$2; (cd $1 && PYTHONPATH=$1:/tmp/site timeout 150 python3 $R/.gpu/cohort.py /tmp/models/600M $OUT/$2 $3 $E MAX_DECODING_LENGTH=48); }
echo "lone HEAD"; lone $R/.before
echo "lone inline"; lone $R
echo "lone HEAD"; lone $R/.before
echo "lone inline"; lone $R
echo "cohort diag"; cohort /tmp/diag diag 256,1024
echo "cohort wait100"; cohort /tmp/wait100 wait100 256,1024
echo "cohort switch 0.5ms"; cohort /tmp/swi swi 256
echo "cohort diag again"; cohort /tmp/diag diag2 256
for d in diag wait100 swi diag2; do gzip -c $OUT/$d/service.log > $OUT/$d.log.gz; rm -rf $OUT/$d/service.log $OUT/$d/data-service; done
ls -la $OUT
