#!/usr/bin/env bash
# The cost of fixed-order lane sums: ReductionOrderBench (kernels before/now) in interleaved JMH rounds,
# one JSON per round under bench/results/reduction-order/. Usage: bench/reduction-order.sh [rounds]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS=${1:-3}
OUT="$ROOT/bench/results/reduction-order"
mkdir -p "$OUT"
(cd "$ROOT" && ./build -q -B -ntp -pl bench -am -DskipTests package >&2)
for r in $(seq 1 "$ROUNDS"); do
  STRATA_REBUILD=0 "$ROOT/bench/jmh" -rf json -rff "$OUT/round-$r.json" ReductionOrderBench >&2
done
python3 "$ROOT/bench/summarize_pairs.py" "$OUT"/round-*.json > "$OUT/summary.md"
cat "$OUT/summary.md"
