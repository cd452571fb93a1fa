#!/usr/bin/env bash
# GPU call 47 (session 30): do this box's cores run Python independently? A fixed Python workload on core 0 while 0-15
# other cores run the same (scale.py), and the worker's app in one process (uncached_median.py, warm loop) on core 0
# alone and beside 15 copies of itself, one on each other core.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore PYTHONPATH=$R:/tmp/site
{ nvidia-smi --query-gpu=name --format=csv,noheader; nproc; uname -r; lscpu | grep -i "thread\|core\|socket\|model name\|L2\|L3"; echo "code $(cat .gpu/commit)"; } | tee $OUT/machine.txt
timeout 150 python3 .gpu/scale.py | tee $OUT/scale.txt
python3 -m nllb model synth --size tiny /tmp/models/tiny >/dev/null
echo "== app alone" | tee -a $OUT/scale.txt
taskset -c 0 timeout 60 python3 .gpu/uncached_median.py /tmp/models/tiny 1000 2>&1 | grep "CPU per" | tee -a $OUT/scale.txt
for c in $(seq 1 15); do taskset -c $c timeout 100 python3 .gpu/uncached_median.py /tmp/models/tiny 200000 >/dev/null 2>&1 & done
sleep 12
echo "== app beside 15 copies" | tee -a $OUT/scale.txt
taskset -c 0 timeout 60 python3 .gpu/uncached_median.py /tmp/models/tiny 1000 2>&1 | grep "CPU per" | tee -a $OUT/scale.txt
pkill -f uncached_median; sleep 1
echo "== app alone again" | tee -a $OUT/scale.txt
taskset -c 0 timeout 60 python3 .gpu/uncached_median.py /tmp/models/tiny 1000 2>&1 | grep "CPU per" | tee -a $OUT/scale.txt
