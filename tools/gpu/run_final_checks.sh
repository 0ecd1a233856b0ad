#!/usr/bin/env bash
# One device call: the CUDA checks (tests + bandwidth), then decode of an OLMoE-1B-7B-shaped
# synthetic model on the CUDA backend, with every weight in VRAM, and served from a packed store
# through the tiers with a small VRAM expert budget. Needs .device/ from tools/gpu/prepare_device.sh.
set +e
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/strata-final}
mkdir -p "$OUT"
timeout 200 bash tools/gpu/run_cuda_checks.sh > "$OUT/cuda-checks.log" 2>&1
tail -n 45 "$OUT/cuda-checks.log" | grep -E "tests (successful|failed)|rc=|GB/s" | head -30
J=/tmp/jre/bin/java
[ -x $J ] || tar xJf .device/jre.tar.xz -C /tmp
S() { timeout 150 $J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx48g -cp '.device/lib/*' io.strata.engine.cli.StrataCli "$@" 2>&1 | grep -v -E "WARNING|^[A-Z][a-z]{2} [0-9]+, 20" ; }
echo "=== decode, all weights in VRAM"
S bench decode --preset olmoe-1b-7b --cache-dir /tmp/synth --tokens 32 --backend cuda --json "$OUT/decode-olmoe-cuda-vram.json" | tail -5
echo "=== pack"
( time S pack --model /tmp/synth/synthetic-olmoe-1b-7b --out /tmp/synth/store --no-progress ) 2>&1 | tail -4
echo "=== decode from the store: host budget = all experts, VRAM expert budget 2 GiB"
S bench decode --model /tmp/synth/store --host-budget 14GiB --fast-budget 2GiB --tokens 32 --backend cuda --json "$OUT/decode-olmoe-cuda-store-vram2g.json" | tail -14
echo "=== decode from the store: host budget = a quarter of the experts, VRAM expert budget 2 GiB"
S bench decode --model /tmp/synth/store --host-budget 3.2GB --fast-budget 2GiB --tokens 32 --backend cuda --json "$OUT/decode-olmoe-cuda-store-quarter.json" | tail -14
ls -la "$OUT"
