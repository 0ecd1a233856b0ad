#!/usr/bin/env bash
# The forecast against measured runs, with traces that name each forward pass (a prompt batch is one pass).
# Usage: bash bench/results/hybrid/passes/commands.sh OLMOE_STORE   (from the repository root; writes beside itself)
# OLMOE_STORE: the OLMoE-1B-7B-shaped bf16 store (16 layers, 64 experts of 12 MiB): strata bench -m olmoe-1b-7b writes
# the checkpoint, strata pack --codec bf16 the store.
set -euo pipefail
OUT=$(cd "$(dirname "$0")" && pwd)
OLMOE=$1
TINY=${TINY_STORE:-/tmp/hyb/tiny-store}
S() { STRATA_NO_BUILD=1 ./strata "$@"; }
[ -f "$TINY/manifest.json" ] || S pack --model models/tiny-moe --out "$TINY" --no-progress
S calibrate --model "$TINY" --backend cpu --no-save --json "$OUT/calibration-tiny-store.json" > "$OUT/calibration-tiny-store.txt" 2>&1
S calibrate --model "$OLMOE" --backend cpu --no-save --json "$OUT/calibration-olmoe-store.json" > "$OUT/calibration-olmoe-store.txt" 2>&1
for run in 1 2 3 4 5; do # the configurations alternate
  for b in 2MiB 7MiB; do
    S bench decode --model "$TINY" --host-budget $b --tokens 96 --warmup 96 --trace "$OUT/tiny-$b-run$run.jsonl" \
      --json "$OUT/tiny-$b-run$run.json" > "$OUT/tiny-$b-run$run.txt" 2>&1
  done
  S bench decode --model "$OLMOE" --host-budget 3.2GB --tokens 24 --warmup 8 --trace "$OUT/olmoe-q-run$run.jsonl" \
    --json "$OUT/olmoe-q-run$run.json" > "$OUT/olmoe-q-run$run.txt" 2>&1
done
bash "$OUT/replan.sh" "$OLMOE" ""   # the plans: tiny-B-plan.json, olmoe-q-plan.json
