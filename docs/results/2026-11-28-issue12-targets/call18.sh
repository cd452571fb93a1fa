#!/usr/bin/env bash
# GPU call 18 (session 24): call 16 at 256 in flight with the engine warming the device up before ready.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
E="COMPUTE_TYPE=float16 DEVICE_INDEX=0 MAX_DECODING_LENGTH=48"
E="COMPUTE_TYPE=float16 DEVICE_INDEX=0 MAX_DECODING_LENGTH=48"
for n in 256; do
  PYTHONPATH=$R:/tmp/site timeout 200 python3 .gpu/batch_gaps.py /tmp/models/600M $OUT/service-$n.log $n $E >> $OUT/tables.txt 2>$OUT/gaps-$n.err || tail -5 $OUT/gaps-$n.err
  grep -h "warmed up" $OUT/service-$n.log >> $OUT/tables.txt; grep -h "\"event\":\"batch\"" $OUT/service-$n.log | head -5 | cut -c1-230 >> $OUT/tables.txt; python3 .gpu/gaps.py $OUT/service-$n.log | tail -25 >> $OUT/tables.txt
done
grep -h "warmed up" $OUT/service-256.log 2>/dev/null; cd $OUT && tar czf results.tgz *.log *.err && rm -f *.log *.err
