#!/usr/bin/env bash
# strata plan's CPU forecast against measured runs with reads priced as a step issues them (after a pause: one read alone, or a wave of the loader threads; Calibration.stepReads), after the caller takes back chunks its workers have not started
# (compression's Parallel). Each tiny-moe run is paired with a plan taken just before it (as ../passes/paired); the
# OLMoE-shaped plan is checked against its five runs.
# Usage: bash bench/results/hybrid/step-reads/commands.sh OLMOE_STORE [OUT_DIR]   (from the repository root, built;
# OUT_DIR defaults to this folder: rep2/ and rep3/ are repetitions of the whole, calibrations included)
# OLMOE_STORE: the OLMoE-1B-7B-shaped bf16 store (16 layers, 64 experts of 12 MiB): `strata bench decode --preset
# olmoe-1b-7b --cache-dir DIR --tokens 1` writes the checkpoint, `strata pack --codec bf16` the store.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(mkdir -p "${2:-$HERE}" && cd "${2:-$HERE}" && pwd)
OLMOE=$1
TINY=${TINY_STORE:-/tmp/hyb/tiny-store}
S() { STRATA_NO_BUILD=1 ./strata "$@"; }
[ -f "$TINY/manifest.json" ] || S pack --model models/tiny-moe --out "$TINY" --no-progress
S calibrate --model "$TINY" --backend cpu --no-save --json "$OUT/calibration-tiny-store.json" > "$OUT/calibration-tiny-store.txt" 2>&1
S calibrate --model "$OLMOE" --backend cpu --no-save --json "$OUT/calibration-olmoe-store.json" > "$OUT/calibration-olmoe-store.txt" 2>&1
# the traces the plans replay (greedy decoding of a fixed prompt: every run routes the same)
for b in 2MiB 7MiB; do
  S bench decode --model "$TINY" --host-budget $b --tokens 96 --warmup 96 --trace "$OUT/tiny-$b.jsonl" \
    --json "$OUT/tiny-$b-trace.json" > "$OUT/tiny-$b-trace.txt" 2>&1
done
S bench decode --model "$OLMOE" --host-budget 3.2GB --tokens 24 --warmup 8 --trace "$OUT/olmoe-q.jsonl" \
  --json "$OUT/olmoe-q-trace.json" > "$OUT/olmoe-q-trace.txt" 2>&1
for run in 1 2 3 4 5; do
  for b in 2MiB 7MiB; do
    S plan --model "$TINY" --trace "$OUT/tiny-$b.jsonl" --host $b --calibration "$OUT/calibration-tiny-store.json" \
      --json "$OUT/tiny-$b-plan$run.json" > "$OUT/tiny-$b-plan$run.txt" 2>&1
    S bench decode --model "$TINY" --host-budget $b --tokens 96 --warmup 96 --json "$OUT/tiny-$b-run$run.json" \
      > "$OUT/tiny-$b-run$run.txt" 2>&1
  done
  S bench decode --model "$OLMOE" --host-budget 3.2GB --tokens 24 --warmup 8 --json "$OUT/olmoe-q-run$run.json" \
    > "$OUT/olmoe-q-run$run.txt" 2>&1
done
S plan --model "$OLMOE" --trace "$OUT/olmoe-q.jsonl" --host 3.2GB --calibration "$OUT/calibration-olmoe-store.json" \
  --json "$OUT/olmoe-q-plan.json" > "$OUT/olmoe-q-plan.txt" 2>&1
python3 "$HERE/summary.py" "$OUT" > "$OUT/summary.txt"
