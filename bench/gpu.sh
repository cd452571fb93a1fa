#!/usr/bin/env bash
# The GPU benchmark matrix of docs/PERFORMANCE.md, on the machine it runs on.
#   bench/gpu.sh OUT_DIR part1|part2
# part1: the 600M shape (float16 greedy in full; beam 4, int8_float16, two
#        engine variants at 1 and 256 in flight); part2: 1.3B, 3.3B, and two
#        GPUs (DEVICE_INDEX=0,1) at 512 in flight.
set -euo pipefail
out=$1
part=$2
models=${NLLB_BENCH_MODELS:-/tmp/nllb-models}
mkdir -p "$out" "$models"
serve=(--workers 8 --threads 64 --clients 8)

synth() { [ -f "$models/$1/model.bin" ] || python3 -m nllb model synth --size "$1" "$models/$1" >&2; }
bench() {
  local name=$1; shift
  echo "== $name: nllb bench $*" >&2
  python3 -m nllb bench "$@" --out "$out/$name.json" > "$out/$name.md" 2> "$out/$name.log" || { tail -30 "$out/$name.log" >&2; return 1; }
  cat "$out/$name.md" >&2
}

if [ "$part" = part1 ]; then
  synth 600M
  bench 600M-f16-greedy --model "$models/600M" "${serve[@]}" --quality fast --duration 10 \
    --concurrency 1,16,64,256,512 --texts-per-request 8 --texts-concurrency 2,8,32,64 --set COMPUTE_TYPE=float16
  bench 600M-f16-beam4 --model "$models/600M" "${serve[@]}" --quality balanced --duration 8 \
    --concurrency 1,256 --set COMPUTE_TYPE=float16
  bench 600M-int8f16-greedy --model "$models/600M" "${serve[@]}" --quality fast --duration 8 \
    --concurrency 1,256 --set COMPUTE_TYPE=int8_float16
  bench 600M-f16-greedy-inter2 --model "$models/600M" "${serve[@]}" --quality fast --duration 8 \
    --concurrency 256 --set COMPUTE_TYPE=float16 --set INTER_THREADS=2
  bench 600M-f16-greedy-wait5ms --model "$models/600M" "${serve[@]}" --quality fast --duration 8 \
    --concurrency 256 --set COMPUTE_TYPE=float16 --set BATCH_TIMEOUT_MS=5
else
  synth 600M
  bench 600M-f16-greedy-2gpu --model "$models/600M" "${serve[@]}" --quality fast --duration 8 \
    --concurrency 512 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0,1
  synth 1.3B
  bench 1.3B-f16-greedy --model "$models/1.3B" "${serve[@]}" --quality fast --duration 8 \
    --concurrency 1,256 --set COMPUTE_TYPE=float16
  synth 3.3B
  bench 3.3B-f16-greedy --model "$models/3.3B" "${serve[@]}" --quality fast --duration 8 \
    --concurrency 1,256 --set COMPUTE_TYPE=float16
fi
