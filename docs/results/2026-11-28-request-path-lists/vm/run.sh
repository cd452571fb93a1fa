#!/usr/bin/env bash
# VM (2 cores), session 28: bench-cache and lone uncached requests, 8a8ff1f (/tmp/base) against HEAD, alternating.
O=/tmp/vm28
for r in 1 2; do
  for t in base new; do
    d=/work/main; [ $t = base ] && d=/tmp/base
    echo "== bench-cache $t-$r $(date +%T)" >> $O/tables.txt
    (cd $d && PYTHONPATH=$d timeout 300 /work/main/.venv/bin/python -m nllb bench-cache --duration 8 --out $O/cache-$t-$r.json >> $O/tables.txt 2>$O/cache-$t-$r.err)
    echo "== lone $t-$r $(date +%T)" >> $O/tables.txt
    (cd $d && PYTHONPATH=$d timeout 300 /work/main/.venv/bin/python -m nllb bench --model /tmp/models/tiny --concurrency 1 --duration 4 --lone-requests 300 --set COMPUTE_TYPE=float32 --set INTRA_THREADS=1 --out $O/lone-$t-$r.json >> $O/tables.txt 2>$O/lone-$t-$r.err)
  done
done
echo done >> $O/tables.txt
