#!/usr/bin/env bash
# GPU call 20 (session 25): where the box's CPU goes at 256 and 1,024 in flight (cpu_census.py), and py-spy --gil of one worker at 256.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
E="COMPUTE_TYPE=float16 DEVICE_INDEX=0 MAX_DECODING_LENGTH=48"
for n in 256 1024; do
  PYTHONPATH=$R:/tmp/site timeout 150 python3 .gpu/cpu_census.py /tmp/models/600M $n 10 $OUT/census-$n.txt $E > /dev/null 2>$OUT/census-$n.err || tail -5 $OUT/census-$n.err
done
# one worker's GIL profile at 256 in flight
(PYTHONPATH=$R:/tmp/site timeout 150 python3 .gpu/cpu_census.py /tmp/models/600M 256 14 $OUT/census-256-spy.txt $E > /dev/null 2>$OUT/spy.err) &
for i in $(seq 90); do W=$(pgrep -f "nllb: worker" | head -1); [ -n "$W" ] && pgrep -f "nllb: engine cuda" >/dev/null && break; sleep 1; done
sleep 22; W=$(pgrep -f "nllb: worker" | head -1)
/tmp/site/bin/py-spy record --pid $W --duration 8 --rate 250 --format raw --gil --nonblocking --output $OUT/py-spy-gil-worker-256.txt >/dev/null 2>&1
/tmp/site/bin/py-spy record --pid $W --duration 4 --rate 250 --format raw --nonblocking --output $OUT/py-spy-cpu-worker-256.txt >/dev/null 2>&1
wait
cat $OUT/census-*.txt
python3 .gpu/leaf.py $OUT/py-spy-gil-worker-256.txt 40 > $OUT/leaf-gil-256.txt 2>&1; head -42 $OUT/leaf-gil-256.txt
python3 .gpu/leaf.py $OUT/py-spy-cpu-worker-256.txt 40 > $OUT/leaf-cpu-256.txt 2>&1
cd $OUT && tar czf results.tgz *.err && rm -f *.err
