#!/usr/bin/env bash
# GPU call 23 (session 25): the service's batch log at 256 sentences in flight as 256 one-text and as 64 four-text
# requests: how full each batch is, and the gap before it (.gpu/gaps.py).
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
E="COMPUTE_TYPE=float16 DEVICE_INDEX=0 MAX_DECODING_LENGTH=48"
for run in "1 256" "4 64" "1 256b"; do set -- $run; n=${2%b}
  echo "== texts $1 x $n" >> $OUT/tables.txt
  TEXTS=$1 PYTHONPATH=$R:/tmp/site timeout 150 python3 .gpu/batch_gaps.py /tmp/models/600M $OUT/service-$1x$2.log $n $E >> $OUT/tables.txt 2>$OUT/gaps-$1x$2.err || tail -5 $OUT/gaps-$1x$2.err
  python3 .gpu/gaps.py $OUT/service-$1x$2.log | tail -32 >> $OUT/tables.txt
done
cd $OUT && for f in service-*.log; do grep -v '"event":"request"' $f > ${f%.log}-batches.log; done; tar czf results.tgz *-batches.log *.err && rm -f *.log *.err
