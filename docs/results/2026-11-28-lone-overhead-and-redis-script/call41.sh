#!/usr/bin/env bash
# GPU call 41 (session 29): is the cold request path the cores' idle states? The same runs with and without a
# PM QoS request that keeps every core out of deep C-states (/dev/cpu_dma_latency held at 0 µs), alternating:
# the worker's app in one process after 0 and 5 ms asleep, lone requests (16 tokens), 256 and 512 in flight.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=$R:/tmp/site
python3 -c "import nllb.frontend.app, nllb.engine.process, nllb.tools.bench" || exit 1
{ nvidia-smi --query-gpu=name --format=csv,noheader; nproc; lscpu | grep -i "model name\|mhz"
  echo "governor: $(cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>&1)"
  for s in /sys/devices/system/cpu/cpu0/cpuidle/state*; do echo "$(basename $s) $(cat $s/name) latency=$(cat $s/latency)us usage=$(cat $s/usage) disable=$(cat $s/disable)"; done
  ls -l /dev/cpu_dma_latency; } > $OUT/machine.txt 2>&1
cat $OUT/machine.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
[ -f /tmp/models/tiny/model.bin ] || python3 -m nllb model synth --size tiny /tmp/models/tiny >/dev/null
qos_on() { python3 -c "import os,struct,time; fd=os.open('/dev/cpu_dma_latency',os.O_WRONLY); os.write(fd,struct.pack('i',0)); print('qos held', flush=True); time.sleep(10**6)" & QOS=$!; sleep 0.5; }
qos_off() { kill $QOS; wait $QOS 2>/dev/null; }
usage() { for s in /sys/devices/system/cpu/cpu3/cpuidle/state*; do echo -n "$(cat $s/name)=$(cat $s/usage) "; done; echo; }
C="--model /tmp/models/600M --clients 16 --duration 8 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0 --quality fast"
b() { local name=$1 t=$2; shift 2
  echo "== $name $(date +%T) idle-state entries on cpu3: $(usage)" | tee -a $OUT/tables.txt
  timeout $t python3 -m nllb bench $C "$@" --out $OUT/$name.json >> $OUT/tables.txt 2>$OUT/$name.err || tail -5 $OUT/$name.err
}
inproc() { for p in 0 5; do echo "== inproc $1 PAUSE_MS=$p: $(PAUSE_MS=$p taskset -c 3 timeout 60 python3 .gpu/uncached_median.py /tmp/models/tiny 1000 2>&1 | grep CPU | awk '{print $4}' | tr '\n' ' ')" | tee -a $OUT/tables.txt; done; }
inproc off; qos_on; inproc on; qos_off
inproc off; qos_on; inproc on; qos_off
b lone-off-a 55 --lone-requests 150 --concurrency 1 --set MAX_DECODING_LENGTH=16
qos_on; b lone-on-a 55 --lone-requests 150 --concurrency 1 --set MAX_DECODING_LENGTH=16; qos_off
b lone-off-b 55 --lone-requests 150 --concurrency 1 --set MAX_DECODING_LENGTH=16
qos_on; b lone-on-b 55 --lone-requests 150 --concurrency 1 --set MAX_DECODING_LENGTH=16; qos_off
b off-a 80 --lone-requests 2 --concurrency 256,512
qos_on; b on-a 80 --lone-requests 2 --concurrency 256,512; qos_off
b off-b 80 --lone-requests 2 --concurrency 256,512
qos_on; b on-b 80 --lone-requests 2 --concurrency 256,512; qos_off
echo "== end $(date +%T) $(usage)" >> $OUT/tables.txt
cd $OUT && tar czf results.tgz *.json *.err && rm -rf *.json *.err
