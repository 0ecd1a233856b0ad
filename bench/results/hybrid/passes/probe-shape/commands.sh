#!/usr/bin/env bash
# The probe decoding a generation of the trace's shape and taking the median of its steady rounds: tiny-moe runs each
# paired with a plan taken just before it (../paired/commands.sh, writing here), and the OLMoE-shaped plan against the
# runs of ../commands.sh.
# Usage: bash bench/results/hybrid/passes/probe-shape/commands.sh OLMOE_STORE
set -euo pipefail
OUT=$(cd "$(dirname "$0")" && pwd)
OLMOE=$1
bash "$OUT/../paired/commands.sh" "$OUT"
STRATA_NO_BUILD=1 ./strata plan --model "$OLMOE" --trace "$OUT/../olmoe-q-run1.jsonl" --host 3.2GB \
  --calibration "$OUT/../calibration-olmoe-store.json" --json "$OUT/olmoe-q-plan.json" > "$OUT/olmoe-q-plan.txt" 2>&1
