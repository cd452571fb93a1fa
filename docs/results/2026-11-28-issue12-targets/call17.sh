#!/usr/bin/env bash
# GPU call 17 (session 24): call 16 again with the cost model bounded by the last batch (the 256 run of call 16 ran single rows after a 15.8 s first batch).
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
for n in 256 1024; do
  PYTHONPATH=$R:/tmp/site timeout 200 python3 .gpu/batch_gaps.py /tmp/models/600M $OUT/service-$n.log $n $E >> $OUT/tables.txt 2>$OUT/gaps-$n.err || tail -5 $OUT/gaps-$n.err
  python3 .gpu/gaps.py $OUT/service-$n.log | tail -25 >> $OUT/tables.txt
done
cd $OUT && tar czf results.tgz *.log *.err && rm -f *.log *.err
