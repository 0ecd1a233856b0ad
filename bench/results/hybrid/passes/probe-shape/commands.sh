#!/usr/bin/env bash
# The probe decoding a generation of the trace's shape and taking the median of its steady rounds: tiny-moe runs each
# paired with a plan taken just before it, and the OLMoE-shaped plan against the runs of ../commands.sh.
# Usage: bash bench/results/hybrid/passes/probe-shape/commands.sh OLMOE_STORE
set -euo pipefail
OUT=$(cd "$(dirname "$0")" && pwd)
OLMOE=$1
TINY=${TINY_STORE:-/tmp/hyb/tiny-store}
S() { STRATA_NO_BUILD=1 ./strata "$@"; }
for run in 1 2 3 4 5; do
  for b in 2MiB 7MiB; do
    S plan --model "$TINY" --trace "$OUT/../tiny-$b-run1.jsonl" --host $b --calibration "$OUT/../calibration-tiny-store.json" \
      --json "$OUT/tiny-$b-plan$run.json" > "$OUT/tiny-$b-plan$run.txt" 2>&1
    S bench decode --model "$TINY" --host-budget $b --tokens 96 --warmup 96 --json "$OUT/tiny-$b-run$run.json" > "$OUT/tiny-$b-run$run.txt" 2>&1
  done
done
S plan --model "$OLMOE" --trace "$OUT/../olmoe-q-run1.jsonl" --host 3.2GB --calibration "$OUT/../calibration-olmoe-store.json" \
  --json "$OUT/olmoe-q-plan.json" > "$OUT/olmoe-q-plan.txt" 2>&1
