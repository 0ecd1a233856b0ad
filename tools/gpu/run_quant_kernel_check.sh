#!/usr/bin/env bash
# The quantized matrix-vector kernels on the GPU: their tests, the bandwidth benchmark, and the Mixtral-8x7B INT4
# decodes of run_mixtral_int4_breakdown.sh with every expert in VRAM after 40 warm-up tokens (compute alone).
cd "$(dirname "$0")/../.."; OUT=${OUT:-/tmp/strata-quant}; mkdir -p "$OUT"
set +e
J=/tmp/jre/bin/java; [ -x $J ] || tar xJf .device/jre.tar.xz -C /tmp
console=$(ls .device/lib/junit-platform-console-standalone-*.jar | head -1)
cp=$(ls .device/lib/*.jar | grep -v junit-platform-console-standalone | tr '\n' ':')
JOPTS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx8g)
timeout 70 $J "${JOPTS[@]}" -Dstrata.cuda.checkLaunches=true -jar "$console" execute --disable-banner --disable-ansi-colors --details=tree \
  --class-path "$cp.device/test-classes/kernels-cuda" --scan-class-path .device/test-classes/kernels-cuda --exclude-classname '.*KernelEmulationTest' > $OUT/junit-kernels-cuda.txt 2>&1
echo "kernels rc=$?"; grep -E 'tests (successful|failed)|✘' $OUT/junit-kernels-cuda.txt | head
timeout 60 $J "${JOPTS[@]}" -cp "$cp" io.strata.bench.cuda.CudaBandwidthBench --json $OUT/cuda-bandwidth.json > $OUT/cuda-bandwidth.txt 2>&1
grep -E "D2D copy|pinned H2D|matvec" $OUT/cuda-bandwidth.txt
WARMUP40=40 bash tools/gpu/run_mixtral_int4_breakdown.sh 2>&1 | tail -40
