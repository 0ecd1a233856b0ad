#!/usr/bin/env bash
# One device call for the Mixtral-8x7B-shaped decode on an 11 GB VRAM budget: the CUDA tests of
# kernels-cuda and the engine's CUDA backend (quantized experts included), then a synthetic
# Mixtral-8x7B model written straight into a packed store with INT4 experts (about 29 GB: the bf16
# checkpoint, 93 GB, would not fit the disk) and decoded with --fast-budget 11GiB.
# Needs .device/ from tools/gpu/prepare_device.sh. Results in $OUT.
set +e
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/strata-mixtral}
SYNTH=${SYNTH:-/tmp/synth}
mkdir -p "$OUT" "$SYNTH"
J=/tmp/jre/bin/java
[ -x $J ] || tar xJf .device/jre.tar.xz -C /tmp
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
df -h "$SYNTH" | tail -1
JOPTS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx16g)
console=$(ls .device/lib/junit-platform-console-standalone-*.jar | head -1)
cp=$(ls .device/lib/*.jar | grep -v junit-platform-console-standalone | tr '\n' ':')
junit() {  # junit NAME LIMIT ROOT [filters...]
  local name=$1 limit=$2 root=$3; shift 3
  timeout "$limit" $J "${JOPTS[@]}" -Dstrata.cuda.checkLaunches=true -jar "$console" execute --disable-banner \
    --disable-ansi-colors --details=tree --class-path "$cp$root" --scan-class-path "$root" "$@" > "$OUT/$name.txt" 2>&1
  echo "$name rc=$?"; grep -E 'tests (successful|failed)|✘' "$OUT/$name.txt" | head -12
}
junit junit-kernels-cuda 70 .device/test-classes/kernels-cuda --exclude-classname '.*KernelEmulationTest'
junit junit-engine-cuda 60 .device/test-classes/engine-java --include-package io.strata.engine.backend.cuda
S() {  # S LIMIT ARGS...: the CLI under a time limit
  local limit=$1; shift
  timeout "$limit" $J "${JOPTS[@]}" -cp '.device/lib/*' io.strata.engine.cli.StrataCli "$@" 2>&1 | grep -v -E "^WARNING"
}
echo "=== Mixtral-8x7B shape, INT4 experts, --fast-budget 11GiB (host tier: every expert, pinned)"
{ time S 330 bench decode --preset mixtral-8x7b --codec int4 --cache-dir "$SYNTH" --backend cuda --fast-budget 11GiB \
    --context 1024 --warmup "${WARMUP:-2}" --tokens 32 --json "$OUT/decode-mixtral-8x7b-int4-vram11g.json" ; } \
  2>&1 | tee "$OUT/decode-mixtral-8x7b-int4-vram11g.txt" | tail -22
du -sh "$SYNTH"/* 2>/dev/null
if [ "$SECONDS" -lt "${SECOND_RUN_BEFORE:-420}" ]; then
  echo "=== same store, host tier 12 GiB (about half the experts; the rest from SSD)"
  S 120 bench decode --model "$SYNTH/synthetic-mixtral-8x7b-int4" --backend cuda --fast-budget 11GiB --host-budget 12GiB \
      --context 1024 --tokens 12 --json "$OUT/decode-mixtral-8x7b-int4-vram11g-host12g.json" \
    2>&1 | tee "$OUT/decode-mixtral-8x7b-int4-vram11g-host12g.txt" | tail -18
else
  echo "=== second run skipped: ${SECONDS}s used"
fi
ls -la "$OUT"
