#!/usr/bin/env bash
# Trace replay of the eviction policies on the shared Mixtral trace: every run behind
# bench/results/tiering-trace-replay.{md,json} and tiering-learned-mixtral-holdout50.json.
# Usage: bench/trace-replay.sh [OUT_DIR]   (default bench/results; needs ../shared/data/traces)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/bench/results}"
TRACE=../shared/data/traces/mixtral-8x7b-instruct.active_experts.txt
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cd "$ROOT"
for pin in served step; do
  for holdout in 0 0.5; do
    for mode in per-layer global; do
      extra=()
      [ "$mode" = global ] && extra+=(--global)
      [ "$holdout" = 0.5 ] && [ "$pin" = served ] && [ "$mode" = per-layer ] \
        && extra+=(--save-learned "$OUT/tiering-learned-mixtral-holdout50.json")
      ./strata trace replay --trace "$TRACE" --policy lru,lfu,learned,belady,random,next-token,learned-insample --slots 2,3,4,5,6 \
        --holdout "$holdout" --pin "$pin" "${extra[@]}" --json "$TMP/$pin-$holdout-$mode.json"
    done
  done
done
python3 - "$TMP" "$OUT/tiering-trace-replay.json" <<'PY'
import glob, json, sys
tmp, out = sys.argv[1], sys.argv[2]
runs = [json.load(open(f)) for f in sorted(glob.glob(tmp + "/*.json"))]
def rate(pin, policy, slots=4):
    for r in runs:
        if r["pinning"] == pin and r["holdout"] == 0.5 and not r["global"]:
            return next(x["hit_rate"] for x in r["results"] if x["policy"] == policy and x["slots"] == slots)
gap = {}
for pin in ("served", "step"):
    best, bel = max(rate(pin, "lru"), rate(pin, "lfu")), rate(pin, "belady")
    gap[pin] = {"best_of_lru_lfu": best, "belady": bel, "goal": 0.3, "goal_hit_rate": best + 0.3 * (bel - best)}
    for p in ("learned", "learned-insample", "next-token"):
        gap[pin][p] = rate(pin, p)
        gap[pin]["fraction_of_gap_closed_" + p] = (rate(pin, p) - best) / (bel - best)
json.dump({"benchmark": "trace-replay",
           "machine": "simulation: machine-independent",
           "command": "bench/trace-replay.sh",
           "gap_closed_holdout50_4slots": gap, "runs": runs}, open(out, "w"), indent=2)
PY
