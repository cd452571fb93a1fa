#!/usr/bin/env bash
# The GPU benchmark matrix of docs/PERFORMANCE.md, on the machine it runs on.
#   bench/gpu.sh OUT_DIR [PART ...]
# Parts (all by default): greedy (48-token outputs: closed loop at 1, 256, 512
# and 1,024 in flight, then open loop at 50/80/95% of the raw maximum), lone
# (200 paired lone requests, 16-token outputs), beam4 (256 in flight), long
# (128-token outputs, 256 and 512 in flight), 2gpu (1,024 in flight on GPUs 0
# and 1). Workers, threads and batch limits are the service's own defaults.
set -euo pipefail
out=$1
shift
parts=${*:-greedy lone beam4 long 2gpu}
models=${NLLB_BENCH_MODELS:-/tmp/nllb-models}
mkdir -p "$out" "$models"
# 16 load processes: with 8, each served 32 connections in turn and its own
# turnaround was part of a burst's return (docs/PERFORMANCE.md, session 28).
# Three rounds a level: the raw ceiling and the service drift apart by a tenth within a minute on one box.
common=(--model "$models/600M" --clients 16 --duration 8 --rounds 3 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0)

synth() { [ -f "$models/$1/model.bin" ] || python3 -m nllb model synth --size "$1" "$models/$1" >&2; }
bench() {
  local name=$1; shift
  echo "== $name: nllb bench $*" >&2
  python3 -m nllb bench "$@" --out "$out/$name.json" > "$out/$name.md" 2> "$out/$name.log" || { tail -30 "$out/$name.log" >&2; return 1; }
  cat "$out/$name.md" >&2
}

synth 600M
for part in $parts; do
  case $part in
    greedy) bench 600M-f16-greedy "${common[@]}" --quality fast --lone-requests 20 \
              --concurrency 1,256,512,1024 --open-loop 0.5,0.8,0.95 ;;
    lone) bench 600M-f16-lone "${common[@]}" --quality fast --lone-requests 200 --concurrency 1 \
            --set MAX_DECODING_LENGTH=16 ;;
    beam4) bench 600M-f16-beam4 "${common[@]}" --quality balanced --lone-requests 8 --concurrency 256 ;;
    long) bench 600M-f16-greedy-128 "${common[@]}" --quality fast --lone-requests 8 --concurrency 256,512 \
            --set MAX_DECODING_LENGTH=128 ;;
    2gpu) bench 600M-f16-greedy-2gpu --model "$models/600M" --clients 16 --duration 8 --rounds 3 --quality fast \
            --lone-requests 8 --concurrency 1024 --set COMPUTE_TYPE=float16 --set DEVICE_INDEX=0,1 ;;
    *) echo "unknown part: $part" >&2; exit 2 ;;
  esac
done
