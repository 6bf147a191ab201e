#!/usr/bin/env bash
# Data-parallel throughput on this machine: `dimr train --preset bench` at one global batch, as 1 process with
# 2 intra-op threads and as 2 processes (--nproc 2) with 1 thread each. Prints the median images/s over the steps
# after the first, and for the 2-process run the median time a step waited for its gradient allreduce.
# Usage: scripts/bench-dp.sh [DIMR] [STEPS] [BATCH]   (defaults: .build/release/dimr, 20, 32)
set -euo pipefail
DIMR=${1:-.build/release/dimr}
STEPS=${2:-20}
BATCH=${3:-32}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
common=(train --preset bench --dataset fashion-mnist --batch-size "$BATCH" --steps "$STEPS" --log-every 1
        --checkpoint-every 0 --keep 1)
median() { python3 -c 'import sys, statistics; v=[float(x) for x in sys.stdin.read().split()]; print(f"{statistics.median(v):.4g}" if v else "n/a")'; }
field() {  # $1 = metrics file, $2 = field; values of the steps after the first
  python3 - "$1" "$2" <<'PY'
import json, sys
for line in open(sys.argv[1]).read().splitlines()[1:]:
    r = json.loads(line)
    if sys.argv[2] in r: print(r[sys.argv[2]])
PY
}
"$DIMR" "${common[@]}" --threads 2 --output "$WORK/one" >/dev/null 2>&1
"$DIMR" "${common[@]}" --threads 1 --nproc 2 --output "$WORK/two" >/dev/null 2>&1
echo "bench preset, global batch $BATCH, $STEPS steps (median of steps 2..$STEPS)"
echo "1 process x 2 threads:  $(field "$WORK/one/metrics.jsonl" images_per_s | median) images/s"
echo "2 processes x 1 thread: $(field "$WORK/two/metrics.jsonl" images_per_s | median) images/s," \
     "allreduce wait after backward $(field "$WORK/two/metrics.jsonl" allreduce_s | median) s/step"
