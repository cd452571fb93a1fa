#!/usr/bin/env bash
# GPU call 65 (session 33): why 3.3B batches ran 2.4x slower a segment with 16 GiB of the H200 left (call 64): an
# experiment patch (on the device's copy of the tree only) prints every device fault that poison isolation retries.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=$R:/tmp/site
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
echo "code $(cat .gpu/commit) + isolation prints its faults" >> $OUT/gpu.txt
python3 - <<'PY'
p = "nllb/engine/isolation.py"
s = open(p).read()
s = s.replace("        except DeviceFault as exc:\n", "        except DeviceFault as exc:\n"
              "            import sys, time; print('FAULT', time.monotonic(), len(part), exc, file=sys.stderr, flush=True)\n", 1)
open(p, "w").write(s)
PY
grep -n FAULT nllb/engine/isolation.py >> $OUT/gpu.txt
python3 -m nllb model synth --size 3.3B /tmp/models/3.3B >/dev/null; date +%T >> $OUT/gpu.txt
o() { (cd /tmp && timeout 170 python3 $R/.gpu/oom.py /tmp/models/3.3B "$@" 2>>$OUT/err.txt) | tee -a $OUT/out.txt; }
o 16 $OUT small-48 1024 MAX_DECODING_LENGTH=48
grep -h "FAULT" $OUT/*.log | cut -c1-300 > $OUT/faults.txt; wc -l < $OUT/faults.txt
cd $OUT && tar czf logs.tgz *.log && rm -f *.log
