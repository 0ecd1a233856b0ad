#!/usr/bin/env bash
# Where the time of the Mixtral-8x7B-shaped INT4 decode goes (one device call, after
# run_mixtral_int4.sh's first run): the 11 GiB run again with the host tier warmed by 40 decoded
# tokens (misses then come from pinned host memory, not the SSD), and the same store with every
# expert in VRAM (40 GiB budget: compute alone). Needs .device/ from tools/gpu/prepare_device.sh.
set +e
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/strata-mixtral}
SYNTH=${SYNTH:-/tmp/synth}
mkdir -p "$OUT" "$SYNTH"
J=/tmp/jre/bin/java
[ -x $J ] || tar xJf .device/jre.tar.xz -C /tmp
JOPTS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx16g)
S() {  # S LIMIT ARGS...: the CLI under a time limit
  local limit=$1; shift
  timeout "$limit" $J "${JOPTS[@]}" -cp '.device/lib/*' io.strata.engine.cli.StrataCli "$@" 2>&1 | grep -v -E "^WARNING"
}
echo "=== 11 GiB VRAM budget, host tier warmed by 40 tokens"
S 240 bench decode --preset mixtral-8x7b --codec int4 --cache-dir "$SYNTH" --backend cuda --fast-budget 11GiB \
    --context 1024 --warmup 40 --tokens 32 --json "$OUT/decode-mixtral-8x7b-int4-vram11g-warm.json" \
  2>&1 | tee "$OUT/decode-mixtral-8x7b-int4-vram11g-warm.txt" | grep -v -E "^(INFO|[A-Z][a-z]{2} [0-9]+, 20)" | tail -16
echo "=== every expert in VRAM (40 GiB budget): compute alone"
S 150 bench decode --model "$SYNTH/synthetic-mixtral-8x7b-int4" --backend cuda --fast-budget 40GiB \
    --context 1024 --warmup "${WARMUP40:-8}" --tokens 32 --json "$OUT/decode-mixtral-8x7b-int4-vram40g.json" \
  2>&1 | tee "$OUT/decode-mixtral-8x7b-int4-vram40g.txt" | grep -v -E "^(INFO|[A-Z][a-z]{2} [0-9]+, 20)" | tail -16
ls -la "$OUT"
