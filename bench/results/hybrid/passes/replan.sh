#!/usr/bin/env bash
# The plans again after the probe change (rounds until three in a row do not beat the fastest by 10 %, the fastest kept),
# on the traces and calibrations commands.sh wrote. Usage: bash bench/results/hybrid/passes/replan.sh OLMOE_STORE
set -euo pipefail
OUT=$(cd "$(dirname "$0")" && pwd)
OLMOE=$1
TINY=${TINY_STORE:-/tmp/hyb/tiny-store}
S() { STRATA_NO_BUILD=1 ./strata "$@"; }
for b in 2MiB 7MiB; do
  S plan --model "$TINY" --trace "$OUT/tiny-$b-run1.jsonl" --host $b --calibration "$OUT/calibration-tiny-store.json" \
    --json "$OUT/tiny-$b-plan2.json" > "$OUT/tiny-$b-plan2.txt" 2>&1
done
S plan --model "$OLMOE" --trace "$OUT/olmoe-q-run1.jsonl" --host 3.2GB --calibration "$OUT/calibration-olmoe-store.json" \
  --json "$OUT/olmoe-q-plan2.json" > "$OUT/olmoe-q-plan2.txt" 2>&1
