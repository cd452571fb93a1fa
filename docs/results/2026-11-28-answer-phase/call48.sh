#!/usr/bin/env bash
# GPU call 48 (session 30): does waking a process on another core slow the waker's own Python (ipi.py)? Twice.
export PYTHONUNBUFFERED=1
{ nproc; uname -r; echo "code $(cat .gpu/commit)"; } | tee $OUT/machine.txt
for r in a b; do timeout 100 python3 .gpu/ipi.py; done | tee $OUT/ipi.txt
