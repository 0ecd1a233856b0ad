#!/usr/bin/env bash
# Cold `strata run` with the launcher's early kernel compilation off and on (STRATA_EARLY_JIT=0 / 1), interleaved
# rounds, each a fresh JVM: tiny-moe (6-token prompt, 1 token), the OLMoE-shaped bf16 checkpoint and its int4 store
# (32-token prompt, 4 tokens).
# Usage: commands.sh OUT_DIR ROUNDS [MODELS_DIR]; writes OUT_DIR/{tiny,olmoe-hf,olmoe-int4-all}-{off,on}-R.json and
# .wall (ms from launch to exit), then prints summary.py's medians.
set -euo pipefail
OUT=${1:?out dir}; ROUNDS=${2:-5}; MODELS=${3:-$HOME/.cache/strata/vs-llamacpp}
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
mkdir -p "$OUT"
P=$(python3 -c "print(','.join(str((i*7919)%50000+10) for i in range(32)))")
run() { # name setting round args...
  local name=$1 set=$2 r=$3; shift 3
  local t0 t1
  t0=$(date +%s%N)
  STRATA_NO_BUILD=1 STRATA_EARLY_JIT=$([ "$set" = on ] && echo 1 || echo 0) \
    "$ROOT/strata" run "$@" --threads 2 --json "$OUT/$name-$set-$r.json" > /dev/null 2>&1
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000000 )) > "$OUT/$name-$set-$r.wall"
}
for r in $(seq 1 "$ROUNDS"); do
  for set in $([ $((r % 2)) = 1 ] && echo "on off" || echo "off on"); do
    run tiny "$set" "$r" --model "$ROOT/models/tiny-moe" --prompt "And the LORD said" --max-tokens 1
    for m in olmoe-hf olmoe-int4-all; do
      [ -d "$MODELS/$m" ] && run "$m" "$set" "$r" --model "$MODELS/$m" --prompt-ids "$P" --max-tokens 4
    done
  done
done
python3 "$(dirname "$0")/summary.py" "$OUT"
