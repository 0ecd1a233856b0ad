#!/usr/bin/env bash
# Decode of one packed store by two builds of Strata, interleaved round by round (so machine noise hits both alike):
#   bench/decode-before-after.sh BEFORE_TREE AFTER_TREE STORE [ROUNDS] [OUT_DIR] [extra bench decode options...]
# Each tree is a built checkout (its ./strata launcher runs it without rebuilding). Writes OUT_DIR/{before,after}-N.json
# (strata bench decode --json) and prints tokens/s per round and the after/before ratio of the medians.
set -euo pipefail
before=$1 after=$2 store=$3 rounds=${4:-2} out=${5:-/tmp/decode-before-after}
shift $(( $# < 5 ? $# : 5 ))
mkdir -p "$out"
opts=(--model "$store" --host-budget 3.2GB --backend cpu --tokens 24 "$@")
for r in $(seq 1 "$rounds"); do
  for side in before after; do
    tree=$before; [ "$side" = after ] && tree=$after
    (cd "$tree" && STRATA_NO_BUILD=1 ./strata bench decode "${opts[@]}" --json "$out/$side-$r.json" > "$out/$side-$r.log" 2>&1)
    printf 'round %d %-6s %s\n' "$r" "$side" "$(grep -o '"decode_tokens_per_s" *: *[0-9.E]*' "$out/$side-$r.json" | head -1)"
  done
done
python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def tps(side):
    return [json.load(open(f"{out}/{side}-{r}.json"))["decode_tokens_per_s"] for r in range(1, rounds + 1)]
b, a = tps("before"), tps("after")
print("before", b, "after", a, "ratio of medians %.3f" % (statistics.median(a) / statistics.median(b)),
      "per round", ["%.3f" % (x / y) for x, y in zip(a, b)])
PY
