#!/usr/bin/env bash
# Cold `strata run`, three ways, interleaved rounds, each a fresh JVM:
#   old     the launcher and jars of an earlier build (OLD_ROOT: a checkout of that commit, built with `./build package`);
#   no-aot  this build with STRATA_AOT=0 (the command tree for the named subcommand only, the streamed tokenizer.json);
#   aot     this build with its ahead-of-time cache (the launcher writes it before the first round).
# Models: tiny-moe (6-token prompt, 1 token), the OLMoE-shaped bf16 checkpoint and its int4 store (32-token prompt,
# 4 tokens). Usage: commands.sh OLD_ROOT OUT_DIR ROUNDS [MODELS_DIR]; writes OUT_DIR/{tiny,olmoe-hf,olmoe-int4-all}-
# {old,no-aot,aot}-R.json and .wall (ms from launch to exit), then prints summary.py's medians.
set -euo pipefail
OLD=${1:?old checkout}; OUT=${2:?out dir}; ROUNDS=${3:-5}; MODELS=${4:-$HOME/.cache/strata/vs-llamacpp}
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
mkdir -p "$OUT"
P=$(python3 -c "print(','.join(str((i*7919)%50000+10) for i in range(32)))")
STRATA_NO_BUILD=1 "$ROOT/strata" run --model "$ROOT/models/tiny-moe" --prompt-ids 1 --max-tokens 1 > /dev/null 2>&1 # writes the cache if missing
run() { # name setting round args...
  local name=$1 set=$2 r=$3; shift 3
  local t0 t1 launcher=$ROOT/strata aot=1
  [ "$set" = old ] && launcher=$OLD/strata
  [ "$set" = no-aot ] && aot=0
  t0=$(date +%s%N)
  STRATA_NO_BUILD=1 STRATA_AOT=$aot "$launcher" run "$@" --threads 2 --json "$OUT/$name-$set-$r.json" > /dev/null 2>&1
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000000 )) > "$OUT/$name-$set-$r.wall"
}
for r in $(seq 1 "$ROUNDS"); do
  case $((r % 3)) in 1) order="old no-aot aot";; 2) order="aot old no-aot";; *) order="no-aot aot old";; esac
  for set in $order; do
    run tiny "$set" "$r" --model "$ROOT/models/tiny-moe" --prompt "And the LORD said" --max-tokens 1
    for m in olmoe-hf olmoe-int4-all; do
      [ -d "$MODELS/$m" ] && run "$m" "$set" "$r" --model "$MODELS/$m" --prompt-ids "$P" --max-tokens 4
    done
  done
done
python3 "$(dirname "$0")/summary.py" "$OUT"
