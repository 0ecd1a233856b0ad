#!/usr/bin/env bash
# The plans on the traces and calibrations commands.sh wrote, into tiny-B-planSUFFIX.json and olmoe-q-planSUFFIX.json.
# commands.sh runs it with no suffix; it ran again with suffix 2 after the probe change (rounds until three in a row do
# not beat the fastest by 10 %, the fastest kept).
# Usage: bash bench/results/hybrid/passes/replan.sh OLMOE_STORE [SUFFIX]   (SUFFIX default 2)
set -euo pipefail
OUT=$(cd "$(dirname "$0")" && pwd)
OLMOE=$1
SUFFIX=${2-2}
TINY=${TINY_STORE:-/tmp/hyb/tiny-store}
S() { STRATA_NO_BUILD=1 ./strata "$@"; }
# The runs route the same tokens (a fixed prompt, greedy), so one trace of each serves the forecast.
for b in 2MiB 7MiB; do
  S plan --model "$TINY" --trace "$OUT/tiny-$b-run1.jsonl" --host $b --calibration "$OUT/calibration-tiny-store.json" \
    --json "$OUT/tiny-$b-plan$SUFFIX.json" > "$OUT/tiny-$b-plan$SUFFIX.txt" 2>&1
done
S plan --model "$OLMOE" --trace "$OUT/olmoe-q-run1.jsonl" --host 3.2GB --calibration "$OUT/calibration-olmoe-store.json" \
  --json "$OUT/olmoe-q-plan$SUFFIX.json" > "$OUT/olmoe-q-plan$SUFFIX.txt" 2>&1
