#!/usr/bin/env bash
# Probes of the AMD EPYC (Zen 5) VM, scratch measurements, not product code. Run from the repository root after a build.
# Output: output.txt.
#  1. ScaleProbe: a plain read of 1 GiB and fma chains in registers, one thread and two.
#  2. KernelRateMain: the shipped int8 kernel over the OLMoE-shaped head's shape [50304, 2048] (from memory) and the
#     int4 kernel over an expert's [1024, 2048] (from the cache), one thread and split over two as the engine splits.
#  3. AbKernel: the shipped one-token INT4 matmul against a copy of VectorQuantKernels (class VQK) with the change in
#     blockparams-ablation.patch (the f16 scales and zeros of a row block read only for the first block: wrong results
#     in general, a measure of what reading them costs; the random matrices here have the same scale and zero in every
#     group, so the outputs still agree), interleaved in one JVM; then the copy unchanged (the control).
set -u
D=$(cd "$(dirname "$0")" && pwd)
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin
LIB="cli/target/lib/*"
T=$(mktemp -d)
cp "$D/ScaleProbe.java.txt" "$T/ScaleProbe.java" && "$J/javac" --add-modules jdk.incubator.vector -d "$T" "$T/ScaleProbe.java" 2>&1 | grep -v "warning\|^Note"
echo "== ScaleProbe"; "$J/java" --add-modules jdk.incubator.vector -cp "$T" ScaleProbe 2>&1 | grep -v WARNING
K() { "$J/java" --add-modules jdk.incubator.vector -cp "$LIB" io.strata.bench.kernels.KernelRateMain "$@" 2>&1 | grep -v WARNING | tail -1; }
echo "== KernelRateMain"
for pass in 1 2; do
  K --layout int8 --rows 50304 --rounds 5; K --layout int8 --rows 50304 --rounds 5 --split
  K --layout int4 --rows 1024 --rounds 7; K --layout int4 --rows 1024 --rounds 7 --split
done
mkdir -p "$T/src/io/strata/compression/kernel" "$T/src/io/strata/bench/kernels"
sed 's/public final class VectorQuantKernels implements QuantKernels/public final class VQK implements QuantKernels/' \
  compression/src/main/java/io/strata/compression/kernel/VectorQuantKernels.java > "$T/src/io/strata/compression/kernel/VQK.java"
cp "$D/AbKernel.java.txt" "$T/src/io/strata/bench/kernels/AbKernel.java"
cp bench/src/main/java/io/strata/bench/kernels/RandomQuantized.java "$T/src/io/strata/bench/kernels/"
ab() {
  rm -rf "$T/cls" && "$J/javac" --add-modules jdk.incubator.vector -cp "$LIB" -d "$T/cls" "$T"/src/io/strata/compression/kernel/VQK.java \
    "$T"/src/io/strata/bench/kernels/*.java 2>/dev/null
  for s in "1024 2048 4" "2048 1024 4"; do "$J/java" --add-modules jdk.incubator.vector -cp "$T/cls:$LIB" io.strata.bench.kernels.AbKernel $s 2>&1 | grep -v WARNING; done
}
echo "== AbKernel, the scales and zeros read for the first row block only"
(cd "$T/src" && patch -s -p1 < "$D/blockparams-ablation.patch") && ab
(cd "$T/src" && patch -s -R -p1 < "$D/blockparams-ablation.patch")
echo "== AbKernel, the copy unchanged (control)"; ab
