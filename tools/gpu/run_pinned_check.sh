#!/usr/bin/env bash
# One device call: decode from a packed OLMoE-shaped store with a 2 GiB VRAM expert budget, with
# the host tier in pageable memory and then pinned, side by side on the same machine.
set +e
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/strata-pinned}
mkdir -p "$OUT"
J=/tmp/jre/bin/java
[ -x $J ] || tar xJf .device/jre.tar.xz -C /tmp
S() { timeout 120 $J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx48g "$@" -cp '.device/lib/*' io.strata.engine.cli.StrataCli "${ARGS[@]}" 2>&1 | grep -v -E "WARNING|^[A-Z][a-z]{2} [0-9]+, 20" ; }
ARGS=(bench decode --preset olmoe-1b-7b --cache-dir /tmp/synth --tokens 2 --backend cpu); S | tail -2
ARGS=(pack --model /tmp/synth/synthetic-olmoe-1b-7b --out /tmp/synth/store --no-progress); S | tail -1
for mode in pageable pinned pageable pinned; do
  echo "=== host tier $mode"
  P=-Dstrata.cuda.pageableHost=false; [ $mode = pageable ] && P=-Dstrata.cuda.pageableHost=true
  ARGS=(bench decode --model /tmp/synth/store --host-budget 14GiB --fast-budget 2GiB --tokens 32 --backend cuda --json "$OUT/decode-store-vram2g-$mode.json")
  S $P | grep -E "decode [0-9]+ tokens|VRAM expert cache|time to first|tiered store" | cut -c1-200
done
