#!/usr/bin/env bash
# The bf16 and quantized prefill passes reducing their accumulators in registers, and the padded token stride of the
# split activations, against BEFORE (a commit), from the repository root after `./build -o install -DskipTests`.
# "before" is LaneSum, VectorDenseKernels and VectorQuantKernels of BEFORE compiled over the current jars and put first
# on the class path; "after" is the current build.
#   probes.txt      SumProbe (the 4x4 pass with its sums stored and reloaded, at three alignments of the scratch, against
#                   reduced in registers; sums compared bit for bit) and AlignProbe (x at offsets modulo 4 KiB of the
#                   weights, token strides of 4 KiB and longer), one thread.
#   kernels.txt     KernelRateMain, before and after in alternating JVMs, three passes: bf16 [384, 256] (tiny-moe's
#                   expert rows) at 4, 2 and 1 tokens, [256, 2048] and [2048, 1024] at 4 tokens, int8/int4 [1024, 2048]
#                   at 4 tokens; one thread.
#   model-ab.txt    JarAb: both builds loaded side by side in one JVM (a class loader each), pairs of a 32-token prompt
#                   and generated tokens, the order alternating; tokens compared.
set -euo pipefail
BEFORE=${BEFORE:-eb0e53b}
here=bench/results/cpu-speed/register-sums
java="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin"
old=/tmp/register-sums-before
rm -rf "$old" && mkdir -p "$old/src"
for f in LaneSum VectorDenseKernels VectorQuantKernels; do
  git show "$BEFORE:compression/src/main/java/io/strata/compression/kernel/$f.java" > "$old/src/$f.java"
done
"$java/javac" --add-modules jdk.incubator.vector -cp "cli/target/lib/*" -d "$old/classes" "$old"/src/*.java 2>/dev/null
T=$(mktemp -d) && mkdir -p "$T/src"
for p in SumProbe AlignProbe JarAb; do cp "$here/$p.java.txt" "$T/src/$p.java"; done
"$java/javac" --add-modules jdk.incubator.vector -d "$T/cls" "$T"/src/*.java 2>&1 | grep -v "warning\|^Note" || true
{
  date -u; grep -m1 "model name" /proc/cpuinfo
  for s in "384 256" "256 2048"; do "$java/java" --add-modules jdk.incubator.vector -cp "$T/cls" SumProbe $s 2>&1 | grep -v WARN; done
  "$java/java" --add-modules jdk.incubator.vector -cp "$T/cls" AlignProbe 256 2>&1 | grep -v WARN
} > "$here/probes.txt"
run() { # which args...
  local which=$1; shift
  local cp="cli/target/lib/*"; [ "$which" = before ] && cp="$old/classes:$cp"
  "$java/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$cp" io.strata.bench.kernels.KernelRateMain \
    --rounds 5 "$@" 2>&1 | grep -v WARNING | sed "s/^/$which: /"
}
{
  date -u
  for pass in 1 2 3; do
    for spec in "bf16 384 256 4" "bf16 384 256 2" "bf16 384 256 1" "bf16 256 2048 4" "bf16 2048 1024 4" "int8 1024 2048 4" "int4 1024 2048 4"; do
      set -- $spec
      if [ $((pass % 2)) = 1 ]; then order="before after"; else order="after before"; fi
      for w in $order; do run $w --layout "$1" --rows "$2" --cols "$3" --tokens "$4"; done
    done
  done
} > "$here/kernels.txt"
W=${WORK:-$HOME/.cache/strata/vs-llamacpp}
A="cli/target/strata-cli-0.1.0-SNAPSHOT.jar:$old/classes:cli/target/lib/*"
B="cli/target/strata-cli-0.1.0-SNAPSHOT.jar:cli/target/lib/*"
{
  date -u
  echo "== models/tiny-moe (A: before, B: after; 20 pairs of pp32 + tg128)"
  "$java/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -cp "$T/cls" JarAb "$A" "$B" models/tiny-moe 20 128 32 2>&1 \
    | grep -v "WARN\|INFO\|^[A-Z][a-z][a-z] [0-9]"
  for m in olmoe-hf olmoe-int8-all olmoe-int4-all; do
    echo "== $m (A: before, B: after; 16 pairs of pp32 + tg16)"
    "$java/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -cp "$T/cls" JarAb "$A" "$B" "$W/$m" 16 16 32 2>&1 \
      | grep -v "WARN\|INFO\|^[A-Z][a-z][a-z] [0-9]"
  done
} > "$here/model-ab.txt"
