#!/usr/bin/env bash
# Kernel rates of two builds side by side: the one-token INT4/INT8 matvec and the bf16 matmul over matrices far past
# the last-level cache, one thread, interleaved per shape (before, after, before, after).
#   bash commands.sh OLD_CLASSES [OUT_DIR] [LAYOUT]
# SPLIT=1 in the environment runs each shape over two threads (KernelRateMain --split; files named *-split-*).
# OLD_CLASSES: compression/target/classes of the build before (e.g. a worktree of commit 1a375af, `./build -o compile
# -pl compression`); the build after is cli/target/lib of this checkout. LAYOUT runs that layout's shapes only. Run
# from the repository root.
set -euo pipefail
old=$1
out=${2:-bench/results/cpu-speed/spread-rows}
only=${3:-}
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
shapes=("int2 1200000 2048 1" "int4 600000 2048 1" "int4 150000 8192 1" "int8 300000 2048 1" "int8 150000 4096 1"
        "bf16 300000 1024 1" "bf16 150000 2048 1" "bf16 300000 1024 4" "bf16 150000 2048 4" "read 150000 2048 1")
for pass in 1 2; do
  for s in "${shapes[@]}"; do
    read -r layout rows cols tokens <<<"$s"
    [ -z "$only" ] || [ "$layout" = "$only" ] || continue
    for build in before after; do
      cp="cli/target/lib/*"
      [ "$build" = before ] && cp="$old:cli/target/lib/*"
      "$java" --add-modules jdk.incubator.vector -cp "$cp" io.strata.bench.kernels.KernelRateMain --layout "$layout" \
        --rows "$rows" --cols "$cols" --tokens "$tokens" --rounds 7 ${SPLIT:+--split} \
        --json "$out/$layout-$rows-$cols-t$tokens${SPLIT:+-split}-$build-$pass.json" 2>/dev/null | tail -1 | sed "s/^/$build: /"
    done
  done
done
