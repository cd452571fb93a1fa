#!/usr/bin/env bash
# VM A/B (session 29): bench-cache before (68447f8, /tmp/base) and after (the working tree), alternating, twice.
OUT=/tmp/s29/ab; mkdir -p $OUT
for round in a b; do
  for tree in /tmp/base /work/main; do
    name=$( [ $tree = /tmp/base ] && echo before || echo after )-$round
    echo "== $name $(date +%T)" >> $OUT/tables.txt
    (cd $tree && PYTHONPATH=$tree timeout 400 /work/main/.venv/bin/python -m nllb bench-cache --duration 8 --out $OUT/$name.json >> $OUT/tables.txt 2>$OUT/$name.err)
    pkill -f "nllb: " ; pkill -f redis-server; sleep 1
  done
done
echo done >> $OUT/tables.txt
