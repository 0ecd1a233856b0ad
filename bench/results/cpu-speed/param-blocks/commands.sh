#!/usr/bin/env bash
# Longer parameter blocks for long row quarters (VectorQuantKernels.LONG_QUARTER, LONG_PARAM_BLOCK): the one-token
# quantized matmul before (OLD_JAR: the compression jar of the commit before the change, first on the class path) and
# after (VQK: this checkout's VectorQuantKernels under another name), by AbKernel.java.txt. The head's shape [50304,
# 2048] (int8 as in the --dense int4 store, and int4) from memory, one thread and two; the attention's, the experts'
# gate/up and down shapes from memory (many matrices cycled), two threads: these take 16-row blocks either way (the
# control). Run from the repository root after a build. Output: output.txt.
set -u
OLD_JAR=${OLD_JAR:-/tmp/ab/base.jar}
D=$(cd "$(dirname "$0")" && pwd)
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin
CP="$OLD_JAR:cli/target/lib/*"
T=$(mktemp -d) && mkdir -p "$T/src/io/strata/compression/kernel" "$T/src/io/strata/bench/kernels"
sed 's/public final class VectorQuantKernels implements QuantKernels/public final class VQK implements QuantKernels/' \
  compression/src/main/java/io/strata/compression/kernel/VectorQuantKernels.java > "$T/src/io/strata/compression/kernel/VQK.java"
cp "$D/AbKernel.java.txt" "$T/src/io/strata/bench/kernels/AbKernel.java"
cp bench/src/main/java/io/strata/bench/kernels/RandomQuantized.java "$T/src/io/strata/bench/kernels/"
"$J/javac" --add-modules jdk.incubator.vector -cp "$CP" -d "$T/cls" "$T"/src/io/strata/compression/kernel/VQK.java "$T"/src/io/strata/bench/kernels/*.java 2>&1 | grep -v "warning\|^Note"
for pass in 1 2; do
  for s in "50304 2048 8 1 split" "50304 2048 8 1" "50304 2048 4 1 split" "2048 2048 4 1 split 32" "1024 2048 4 1 split 64" "2048 1024 4 1 split 64"; do
    "$J/java" --add-modules jdk.incubator.vector -cp "$T/cls:$CP" io.strata.bench.kernels.AbKernel $s 2>&1 | grep -v WARNING
  done
done
