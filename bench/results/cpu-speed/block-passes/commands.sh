#!/usr/bin/env bash
# Before and after the block kernels of the one-token INT8/INT4 path, interleaved: KernelRateMain over int8-g64 and
# int4-g64 matrices from L3 and from memory, on one thread and split over two, two passes with the order alternating.
# "before" is VectorQuantKernels.java of BEFORE (a commit) compiled over the current jars and put first on the class
# path; "after" is the current build. Run from the repository root after `./build -o install -DskipTests`.
# Then (kernel-ab.txt) KernelAb: the same kernels in one JVM, the block kernels off and on (-Dstrata.blockKernels)
# in alternating rounds. Then (model-ab.txt) BlockAb: each OLMoE-shaped quantized store of bench/cpu-vs-llamacpp.sh loaded once, 12 pairs of
# tg32 with the block kernels off (-Dstrata.blockKernels=false) and on, the order alternating; tokens compared.
set -euo pipefail
BEFORE=${BEFORE:-0ef9703}
here=bench/results/cpu-speed/block-passes
java="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin"
old=/tmp/block-passes-before
rm -rf "$old" && mkdir -p "$old/src"
git show "$BEFORE:compression/src/main/java/io/strata/compression/kernel/VectorQuantKernels.java" > "$old/src/VectorQuantKernels.java"
"$java/javac" --add-modules jdk.incubator.vector -cp "cli/target/lib/*" -d "$old/classes" "$old/src/VectorQuantKernels.java" 2>/dev/null
run() { # which file-stem args...
  local which=$1 stem=$2; shift 2
  local cp="cli/target/lib/*"; [ "$which" = before ] && cp="$old/classes:$cp"
  "$java/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$cp" io.strata.bench.kernels.KernelRateMain \
    --rounds 9 "$@" --json "$here/$stem-$which.json" 2>&1 | grep -v WARNING | sed "s/^/$which: /"
}
{
  date -u; grep -m1 "model name" /proc/cpuinfo
  for pass in 1 2; do
    for spec in "int8 4096" "int4 4096" "int8 300000" "int4 600000" "int8 300000 --split" "int4 600000 --split"; do
      set -- $spec
      stem="$1-$2${3:+-split}-$pass"
      if [ $pass = 1 ]; then order="before after"; else order="after before"; fi
      for w in $order; do run $w "$stem" --layout "$1" --rows "$2" ${3:-}; done
    done
  done
} > "$here/output.txt"
W=${WORK:-$HOME/.cache/strata/vs-llamacpp}
T=$(mktemp -d) && mkdir -p "$T/src" && cp "$here/BlockAb.java.txt" "$T/src/BlockAb.java"
CP="cli/target/strata-cli-0.1.0-SNAPSHOT.jar:cli/target/lib/*"
cp "$here/KernelAb.java.txt" "$T/src/KernelAb.java"
"$java/javac" --add-modules jdk.incubator.vector -cp "$CP" -d "$T/cls" "$T/src/KernelAb.java" 2>&1 | grep -v "warning\|^Note" || true
"$java/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -cp "$T/cls:$CP" KernelAb 12 2>&1 | grep -v WARN > "$here/kernel-ab.txt"
"$java/javac" --add-modules jdk.incubator.vector -cp "$CP" -d "$T/cls" "$T/src/BlockAb.java" 2>&1 | grep -v "warning\|^Note" || true
for m in olmoe-int8-all olmoe-int4-all olmoe-int8 olmoe-int4; do
  echo "== $m"
  "$java/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -cp "$T/cls:$CP" BlockAb "$W/$m" 12 2>&1 \
    | grep -v "WARN\|INFO\|^[A-Z][a-z][a-z] [0-9]"
done > "$here/model-ab.txt"
