#!/bin/bash
# The #15 targets on the 2-core VM as the tree stands (ba00cee): bench-cache with its defaults, then the lone
# uncached request three times.
cd /work/main
date -u +%FT%TZ; git rev-parse --short HEAD
.venv/bin/nllb bench-cache 2>&1 | grep -v "^measuring\|^ "
for i in 1 2 3; do
  .venv/bin/nllb bench --model /tmp/models/tiny --concurrency 1 --duration 2 --lone-requests 300 \
    --set COMPUTE_TYPE=float32 --set INTRA_THREADS=1 2>&1 | grep "lone request"
done
