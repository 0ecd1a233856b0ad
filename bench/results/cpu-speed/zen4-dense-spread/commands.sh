#!/usr/bin/env bash
# bf16 decode rows a quarter of the range apart whatever their length (VectorDenseKernels.matmulBf16, n == 1), on the
# AMD EPYC (Zen 4) VM. Run from the repository root after a build; OLD_JAR is the compression jar of the commit before
# the change. Output: output.txt (steps 1-3), model-ab.txt (step 4).
#  1. MemPattern: one thread reading 206 MB in different orders of 64-byte loads (a cheap sum, no kernel).
#  2. DenseAb: the one-token bf16 matmul of OLD_JAR (first on the class path) against VDK, this checkout's
#     VectorDenseKernels under another name, interleaved in one JVM, from memory: the head's shape, 48 expert matrices
#     and 16 attention matrices, one thread and split over two; the outputs are checked bit for bit first. n=1 is the
#     change; n=4 (prefill passes, unchanged code) is the control.
#  3. The same with VDK spreading prefill passes too (not kept).
#  4. The model: strata bench tg32/pp32 of the bf16 checkpoint and the bf16 store (experts in the host budget), six
#     rounds, OLD_JAR's class path and this checkout's in turn, the order alternating (MODEL=0 skips it). Needs the
#     stores of bench/cpu-vs-llamacpp.sh under WORK.
set -u
OLD_JAR=${OLD_JAR:-/tmp/oldjar/strata-compression-0.1.0-SNAPSHOT.jar}
W=${WORK:-$HOME/.cache/strata/vs-llamacpp}
D=$(cd "$(dirname "$0")" && pwd)
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin
T=$(mktemp -d) && mkdir -p "$T/src/io/strata/compression/kernel" "$T/mp"
cp "$D/MemPattern.java.txt" "$T/mp/MemPattern.java" && "$J/javac" --add-modules jdk.incubator.vector -d "$T/mp" "$T/mp/MemPattern.java" 2>&1 | grep -v "warning\|^Note"
echo "== MemPattern"; "$J/java" --add-modules jdk.incubator.vector -cp "$T/mp" MemPattern 2>&1 | grep -v WARNING
CP="$OLD_JAR:cli/target/lib/*"
ab() { # $1: sed expression applied to the copy
  sed -e 's/public final class VectorDenseKernels implements DenseKernels/public final class VDK implements DenseKernels/' -e "$1" \
    compression/src/main/java/io/strata/compression/kernel/VectorDenseKernels.java > "$T/src/io/strata/compression/kernel/VDK.java"
  cp "$D/DenseAb.java.txt" "$T/src/DenseAb.java"
  rm -rf "$T/cls" && "$J/javac" --add-modules jdk.incubator.vector -cp "$CP" -d "$T/cls" "$T/src/io/strata/compression/kernel/VDK.java" "$T/src/DenseAb.java" 2>&1 | grep -v "warning\|^Note"
  for n in 1 4; do echo "-- n=$n"; "$J/java" --add-modules jdk.incubator.vector -cp "$T/cls:$CP" DenseAb 7 $n 2>&1 | grep -v WARNING; done
}
echo "== DenseAb, this checkout (VDK) against OLD_JAR"; ab 's/^$//'
echo "== DenseAb, prefill passes spread too (not kept) against OLD_JAR"; ab 's/boolean spread = rowBytes < PAGE;.*/boolean spread = true;/'
[ "${MODEL:-1}" = 1 ] || exit 0
mkdir -p "$D/model-ab" "$T/libold" && cp cli/target/lib/*.jar "$T/libold/" && cp "$OLD_JAR" "$T/libold/"
for i in 1 2 3 4 5 6; do
  for v in old new; do
    [ $((i % 2)) -eq 0 ] && v=$([ $v = old ] && echo new || echo old)
    LIB="$T/libold"; [ $v = new ] && LIB=cli/target/lib
    "$J/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dstrata.root="$PWD" -cp "cli/target/strata-cli-0.1.0-SNAPSHOT.jar:$LIB/*" \
      io.strata.engine.cli.StrataCli bench -p 32 -n 32 -r 1 -t 2 --warmup-max 10 -m "$W/olmoe-hf,$W/olmoe-bf16" --json "$D/model-ab/r$i-$v.json" 2>&1 \
      | grep -E "^\| .*(tg|pp)32" | sed "s/^/round $i $v /" >> "$D/model-ab.txt"
  done
done
