#!/usr/bin/env bash
# The bf16 prefill kernel (four rows x four tokens per pass) from L2 at three widths, one thread, beside a loop of
# independent 512-bit fma (fma_peak.java.txt: what one core of this machine can issue). From the repository root.
set -euo pipefail
out=bench/results/cpu-speed/bf16-4x4
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
for pass in 1 2; do
  for s in "256 2048" "512 1024" "1024 512"; do
    read -r rows cols <<<"$s"
    "$java" --add-modules jdk.incubator.vector -cp "cli/target/lib/*" io.strata.bench.kernels.KernelRateMain --layout bf16 \
      --rows "$rows" --cols "$cols" --tokens 4 --rounds 7 --json "$out/bf16-$rows-$cols-t4-$pass.json" 2>/dev/null | tail -1
  done
done
tmp=$(mktemp -d)
cp "$out/fma_peak.java.txt" "$tmp/Fma.java"
"$java" --add-modules jdk.incubator.vector "$tmp/Fma.java" 2>/dev/null
