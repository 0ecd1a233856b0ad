#!/usr/bin/env bash
# Scratch probes of the Zen 4 VM, not product code. Run from the repository root after a build. Output: probes-output.txt.
#  1. HugeProbe: a plain read and the shipped one-token int8 and int4 kernels over the head's shape [50304, 2048], one
#     thread and split over two, from memory in 4 KiB pages against memory madvised for transparent huge pages
#     (allocated with mmap, MADV_HUGEPAGE before the first touch; the AnonHugePages line shows they were granted).
#  2. MapProbe: the shipped one-token bf16 kernel over the same bytes in anonymous memory and in a mapped file (in the
#     page cache), interleaved.
set -u
D=$(cd "$(dirname "$0")" && pwd)
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin
T=$(mktemp -d) && mkdir -p "$T/src/io/strata/bench/kernels"
cp "$D/HugeProbe.java.txt" "$T/src/io/strata/bench/kernels/HugeProbe.java"
cp bench/src/main/java/io/strata/bench/kernels/RandomQuantized.java "$T/src/io/strata/bench/kernels/"
cp "$D/MapProbe.java.txt" "$T/src/MapProbe.java"
"$J/javac" --add-modules jdk.incubator.vector -cp "cli/target/lib/*" -d "$T/cls" "$T"/src/io/strata/bench/kernels/*.java "$T/src/MapProbe.java" 2>&1 | grep -v "warning\|^Note"
echo "== HugeProbe"; "$J/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -cp "$T/cls:cli/target/lib/*" io.strata.bench.kernels.HugeProbe 50304 7 2>&1 | grep -v WARNING
echo "== MapProbe"; "$J/java" --add-modules jdk.incubator.vector -cp "$T/cls:cli/target/lib/*" MapProbe "${WORK:-$HOME/.cache/strata}/mapprobe.bin" 9 2>&1 | grep -v WARNING
