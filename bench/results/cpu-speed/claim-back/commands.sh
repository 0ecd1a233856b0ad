#!/usr/bin/env bash
# The caller taking back a chunk its worker has not started (compression's Parallel), before against after: interleaved
# rounds, each a fresh JVM, the compression jar swapped in cli/target/lib between them (the rest of the build the same).
# Usage (from the repository root, built): bash bench/results/cpu-speed/claim-back/commands.sh OLD_JAR NEW_JAR
#   OLD_JAR: compression/target/strata-compression-*.jar built at 312ece8; NEW_JAR: the same module built after.
# tiny/: tiny-moe's store (strata pack --model models/tiny-moe) with every expert in memory (64MiB), at 2 MiB (3 experts)
# and 7 MiB (12); olmoe/: the side-by-side's OLMoE-shaped bf16 checkpoint and its int4 and int8 stores
# (bench/cpu-vs-llamacpp.sh writes them under ~/.cache/strata/vs-llamacpp). summary.txt in each: tokens/s, and the time
# per token outside the store's waits (store_decode.layers[].stall_ns).
set -euo pipefail
OUT=$(cd "$(dirname "$0")" && pwd)
OLD=$1 NEW=$2
LIB=cli/target/lib/$(basename "$(ls cli/target/lib/strata-compression-*.jar)")
TINY=${TINY_STORE:-/tmp/hyb/tiny-store}
V=${VS:-$HOME/.cache/strata/vs-llamacpp}
[ -f "$TINY/manifest.json" ] || STRATA_NO_BUILD=1 ./strata pack --model models/tiny-moe --out "$TINY" --no-progress
run() { STRATA_AOT=0 STRATA_NO_BUILD=1 ./strata bench decode --threads 2 "$@"; }
for r in 1 2 3 4 5; do
  for v in old new; do
    if [ $v = old ]; then cp "$OLD" "$LIB"; else cp "$NEW" "$LIB"; fi
    for b in 64MiB 2MiB 7MiB; do
      run --model "$TINY" --host-budget $b --tokens 96 --warmup 96 --json "$OUT/tiny/$v-$b-r$r.json" > "$OUT/tiny/$v-$b-r$r.txt" 2>&1
    done
  done
done
for r in 1 2 3; do
  for v in old new; do
    if [ $v = old ]; then cp "$OLD" "$LIB"; else cp "$NEW" "$LIB"; fi
    for m in bf16=olmoe-hf int4=olmoe-int4-all int8=olmoe-int8-all; do
      run --model "$V/${m#*=}" --tokens 32 --warmup 8 --json "$OUT/olmoe/$v-${m%%=*}-r$r.json" > "$OUT/olmoe/$v-${m%%=*}-r$r.txt" 2>&1
    done
  done
done
cp "$NEW" "$LIB"
for d in tiny olmoe; do python3 "$OUT/summary.py" "$OUT/$d" > "$OUT/$d/summary.txt"; done
