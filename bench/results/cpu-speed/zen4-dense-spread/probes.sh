#!/usr/bin/env bash
# Scratch probes of the Zen 4 VM, not product code. Run from the repository root after a build. Output: probes-output.txt
# (steps 1-2) and store-vs-checkpoint.txt (step 3).
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
#  3. StoreVsCkpt (run after 1-2; needs the stores of bench/cpu-vs-llamacpp.sh under WORK): the bf16 checkpoint and
#     the bf16 store packed from it loaded in one JVM, twelve pairs of tg32 in alternating order, tokens compared.
#     Output: store-vs-checkpoint.txt.
W=${WORK:-$HOME/.cache/strata/vs-llamacpp}
cp "$D/StoreVsCkpt.java.txt" "$T/src/StoreVsCkpt.java"
"$J/javac" --add-modules jdk.incubator.vector -cp "cli/target/strata-cli-0.1.0-SNAPSHOT.jar:cli/target/lib/*" -d "$T/cls" "$T/src/StoreVsCkpt.java" 2>&1 | grep -v "warning\|^Note"
"$J/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$T/cls:cli/target/strata-cli-0.1.0-SNAPSHOT.jar:cli/target/lib/*" \
  StoreVsCkpt "$W/olmoe-hf" "$W/olmoe-bf16" 12 2>&1 | grep -E "^pair|^store" > "$D/store-vs-checkpoint.txt"
