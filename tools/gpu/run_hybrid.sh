#!/usr/bin/env bash
# One device call (about 8 minutes on an H100) for hybrid execution: for a Mixtral-8x7B-shaped and a
# Qwen3-30B-A3B-shaped INT4 store at --fast-budget 11GiB, decode tokens/s with every miss copied (gpu), every miss
# on the CPU (cpu), the plan (auto) and the plan with prefetch into VRAM (auto + lookahead), beside what
# `strata plan` predicts for each from this machine's calibration and the copy-only run's routing trace; then the
# GPU compute path alone: the quantized matvec kernels against device-to-device bandwidth (CudaBandwidthBench) and
# all-in-VRAM decode of the OLMoE-1B-7B shape against its device bandwidth bound.
# Needs .device/ from tools/gpu/prepare_device.sh. Results (JSON and logs) in $OUT.
set +e
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/strata-hybrid}
SYNTH=${SYNTH:-/tmp/synth}
LIMIT=${LIMIT:-470}   # seconds: later steps are skipped past this, so the call ends within 8 minutes
mkdir -p "$OUT" "$SYNTH"
J=/tmp/jre/bin/java
[ -x $J ] || tar xJf .device/jre.tar.xz -C /tmp
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
JOPTS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx48g -Dstrata.calibration="$OUT/calibration.json")
S() {  # S LIMIT ARGS...: the CLI under a time limit
  local limit=$1; shift
  timeout "$limit" $J "${JOPTS[@]}" -cp '.device/lib/*' io.strata.engine.cli.StrataCli "$@" 2>&1 | grep -v -E "^WARNING"
}
left() { [ "$SECONDS" -lt "$LIMIT" ] || { echo "=== skipped past ${LIMIT}s: $*"; return 1; }; }
tps() { grep -o '"decode_tokens_per_s" *: *[0-9.]*' "$1" 2>/dev/null | head -1 | grep -o '[0-9.]*$'; }

hybrid() {  # hybrid NAME PRESET HIDDEN INTERMEDIATE
  local name=$1 preset=$2 store="$SYNTH/synthetic-$2-int4"
  left "$name" || return
  echo "=== $name: INT4 store (written once), then brief calibration at its expert shape"
  S 150 bench decode --preset "$preset" --codec int4 --cache-dir "$SYNTH" --backend cpu --tokens 1 --warmup 1 \
    --host-budget 1GiB > "$OUT/$name-write.txt" 2>&1; tail -2 "$OUT/$name-write.txt"
  S 60 calibrate --backend cuda --model "$store" --brief --no-save --json "$OUT/calibration.json" | tail -12
  for mode in gpu cpu auto auto+prefetch; do
    left "$name $mode" || return
    local m=${mode%+prefetch} extra=()
    [ "$mode" = auto+prefetch ] && extra=(--prefetch lookahead --prefetch-depth 1)
    [ "$mode" = gpu ] && extra=(--trace "$OUT/$name-trace.jsonl")
    S 75 bench decode --model "$store" --backend cuda --fast-budget 11GiB --context 1024 --offload-compute "$m" \
      "${extra[@]}" --warmup 4 --tokens 24 --json "$OUT/$name-$mode.json" > "$OUT/$name-$mode.txt" 2>&1
    echo "$name $mode: $(tps "$OUT/$name-$mode.json") tokens/s"; grep -E "expert paths|stall per step" "$OUT/$name-$mode.txt" | head -2
  done
  left "$name plan" || return
  S 90 plan --model "$store" --trace "$OUT/$name-trace.jsonl" --vram 11GiB --context 1024 --probe-tokens 8 \
    --calibration "$OUT/calibration.json" --prefetch-depth 1 --json "$OUT/$name-plan.json" | tail -10
}

hybrid mixtral-8x7b mixtral-8x7b
rm -rf "$SYNTH/synthetic-mixtral-8x7b-int4"   # the disk holds one store at a time
hybrid qwen3-30b-a3b qwen3-30b-a3b
rm -rf "$SYNTH/synthetic-qwen3-30b-a3b-int4"

if left "compute path"; then
  echo "=== GPU compute path: matvec kernels against device-to-device bandwidth"
  timeout 90 $J "${JOPTS[@]}" -cp '.device/lib/*' io.strata.bench.cuda.CudaBandwidthBench --quick --json "$OUT/cuda-bandwidth.json" 2>&1 \
    | grep -v WARNING | tail -16
fi
if left "olmoe all in VRAM"; then
  echo "=== OLMoE-1B-7B shape, every weight in VRAM"
  S 120 bench decode --preset olmoe-1b-7b --cache-dir "$SYNTH" --backend cuda --tokens 32 --json "$OUT/decode-olmoe-cuda-vram.json" | tail -8
fi
ls -la "$OUT"
echo "total ${SECONDS}s"
