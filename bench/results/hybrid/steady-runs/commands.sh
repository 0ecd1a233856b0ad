#!/usr/bin/env bash
# tiny-moe's pairs of ../step-reads/commands.sh with the runs measured after eight warm-up generations instead of one
# (`bench decode --warmup-runs 8`), so that they, like the plan's probe, run in a steady JVM. The trace is recorded the
# same way, and the forecast prices its last generation.
# Usage: bash bench/results/hybrid/steady-runs/commands.sh [OUT_DIR]   (from the repository root, built)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(mkdir -p "${1:-$HERE}" && cd "${1:-$HERE}" && pwd)
TINY=${TINY_STORE:-/tmp/hyb/tiny-store}
S() { STRATA_NO_BUILD=1 ./strata "$@"; }
[ -f "$TINY/manifest.json" ] || S pack --model models/tiny-moe --out "$TINY" --no-progress
S calibrate --model "$TINY" --backend cpu --no-save --json "$OUT/calibration-tiny-store.json" > "$OUT/calibration-tiny-store.txt" 2>&1
W="--tokens 96 --warmup 96 --warmup-runs 8"
for b in 2MiB 7MiB; do
  S bench decode --model "$TINY" --host-budget $b $W --trace "$OUT/tiny-$b.jsonl" \
    --json "$OUT/tiny-$b-trace.json" > "$OUT/tiny-$b-trace.txt" 2>&1
done
for run in 1 2 3 4 5; do
  for b in 2MiB 7MiB; do
    S plan --model "$TINY" --trace "$OUT/tiny-$b.jsonl" --host $b --calibration "$OUT/calibration-tiny-store.json" \
      --json "$OUT/tiny-$b-plan$run.json" > "$OUT/tiny-$b-plan$run.txt" 2>&1
    S bench decode --model "$TINY" --host-budget $b $W --json "$OUT/tiny-$b-run$run.json" > "$OUT/tiny-$b-run$run.txt" 2>&1
  done
done
python3 "$HERE/../step-reads/summary.py" "$OUT" > "$OUT/summary.txt"
