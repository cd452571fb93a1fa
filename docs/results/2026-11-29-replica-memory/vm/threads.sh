#!/bin/bash
# bench-cache with the service's and bare app's threads per worker varied, alternating.
cd /work/main
for rep in 1 2; do
  for t in 8 64 256; do
    echo "== rep $rep threads $t"
    timeout 600 .venv/bin/nllb bench-cache --concurrency 1,8,32,128 --duration 6 --threads $t 2>&1 | grep "^| [0-9]"
  done
done
