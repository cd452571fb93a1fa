#!/usr/bin/env bash
# /tmp/park: this tree (57b333e) with _NEXT_REQUEST_WAIT_MS = 1000 in nllb/frontend/worker.py (git archive + sed).
# lone uncached request, two trees alternating
for round in 1 2 3; do
  for tree in /work/main /tmp/park; do
    r=$(cd /tmp && PYTHONPATH=$tree /work/main/.venv/bin/python -m nllb bench --model /tmp/models/tiny --concurrency 1 --duration 1 --lone-requests 300 --set COMPUTE_TYPE=float32 --set INTRA_THREADS=1 2>/dev/null | grep "^lone")
    echo "$(basename $tree) $r"
  done
done
