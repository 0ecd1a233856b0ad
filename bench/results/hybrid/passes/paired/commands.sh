#!/usr/bin/env bash
# tiny-moe: each measured run paired with a plan (its probe) taken just before it, so both see the VM in the same
# state. Uses the calibration and traces of ../commands.sh. Writes into OUT_DIR (default: this folder; a sibling folder
# of it, such as ../probe-shape, also works).
# Usage: bash bench/results/hybrid/passes/paired/commands.sh [OUT_DIR]
set -euo pipefail
OUT=$(cd "${1:-$(dirname "$0")}" && pwd)
TINY=${TINY_STORE:-/tmp/hyb/tiny-store}
S() { STRATA_NO_BUILD=1 ./strata "$@"; }
for run in 1 2 3 4 5; do
  for b in 2MiB 7MiB; do
    S plan --model "$TINY" --trace "$OUT/../tiny-$b-run1.jsonl" --host $b --calibration "$OUT/../calibration-tiny-store.json" \
      --json "$OUT/tiny-$b-plan$run.json" > "$OUT/tiny-$b-plan$run.txt" 2>&1
    S bench decode --model "$TINY" --host-budget $b --tokens 96 --warmup 96 --json "$OUT/tiny-$b-run$run.json" > "$OUT/tiny-$b-run$run.txt" 2>&1
  done
done
