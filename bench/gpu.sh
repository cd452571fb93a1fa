#!/usr/bin/env bash
# The GPU benchmark matrix of docs/PERFORMANCE.md, on the machine it runs on.
#   bench/gpu.sh OUT_DIR
# The 600M shape (float16 greedy in full, two GPUs at 512 in flight, beam 4,
# no refill wait) then the 1.3B and 3.3B shapes; what finishes is kept.
set -euo pipefail
out=$1
models=${NLLB_BENCH_MODELS:-/tmp/nllb-models}
mkdir -p "$out" "$models"
serve=(--workers 16 --threads 32 --clients 8)
short=(--duration 5 --lone-requests 8)

synth() { [ -f "$models/$1/model.bin" ] || python3 -m nllb model synth --size "$1" "$models/$1" >&2; }
bench() {
  local name=$1; shift
  echo "== $name: nllb bench $*" >&2
  python3 -m nllb bench "$@" --out "$out/$name.json" > "$out/$name.md" 2> "$out/$name.log" || { tail -30 "$out/$name.log" >&2; return 1; }
  cat "$out/$name.md" >&2
}

synth 600M
bench 600M-f16-greedy --model "$models/600M" "${serve[@]}" --quality fast "${short[@]}" \
  --concurrency 1,64,256,512 --texts-per-request 8 --texts-concurrency 32,64 --set COMPUTE_TYPE=float16
bench 600M-f16-greedy-2gpu --model "$models/600M" "${serve[@]}" --quality fast "${short[@]}" \
  --concurrency 512 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0,1
bench 600M-f16-beam4 --model "$models/600M" "${serve[@]}" --quality balanced "${short[@]}" \
  --concurrency 1,256 --set COMPUTE_TYPE=float16
bench 600M-f16-greedy-nowait --model "$models/600M" "${serve[@]}" --quality fast "${short[@]}" \
  --concurrency 256 --set COMPUTE_TYPE=float16 --set BATCH_TIMEOUT_MS=0
synth 1.3B
bench 1.3B-f16-greedy --model "$models/1.3B" "${serve[@]}" --quality fast "${short[@]}" \
  --concurrency 1,256 --set COMPUTE_TYPE=float16
synth 3.3B
bench 3.3B-f16-greedy --model "$models/3.3B" "${serve[@]}" --quality fast "${short[@]}" \
  --concurrency 1,256 --set COMPUTE_TYPE=float16
