#!/usr/bin/env bash
# Weights in 2 MiB pages (io.strata.compression.HugePages). Run from the repository root after a build
# (cli/target/lib holds the jars). Outputs: kernel.txt (1), page-cache.txt (2), model-ab.txt (3).
#  1. ThpBf16: the shipped one-token bf16 kernel over the head's shape [50304, 2048] from memory, one thread and split
#     over two, interleaved rounds: anonymous memory in 4 KiB pages, anonymous memory madvised for huge pages before
#     first touch, a mapped file, the same file mapped and madvised. The smaps lines show what each got.
#  2. PageCacheProbe (needs root for drop_caches): how a mapped checkpoint's pages come out. 1 GiB of it copied with
#     64 KiB writes and mapped as that writer left the page cache, MADV_COLLAPSE tried on it; then after dropping the
#     cache, a cold read with and without MADV_HUGEPAGE, and the same file warm.
#  3. HugeAb: one packed store loaded twice in one JVM, its host tier and dense weights in 4 KiB pages
#     (-Dstrata.hugePages=false while it loads) and in 2 MiB pages; 12 alternating pairs of tg32, tokens compared.
#     Needs the stores of bench/cpu-vs-llamacpp.sh under WORK. STEPS="4 5" runs only those steps.
set -u
D=$(cd "$(dirname "$0")" && pwd)
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin
W=${WORK:-$HOME/.cache/strata/vs-llamacpp}
CP="cli/target/strata-cli-0.1.0-SNAPSHOT.jar:cli/target/lib/*"
T=$(mktemp -d) && mkdir -p "$T/src"
for f in ThpBf16 PageCacheProbe HugeAb; do cp "$D/$f.java.txt" "$T/src/$f.java"; done
"$J/javac" --add-modules jdk.incubator.vector -cp "$CP" -d "$T/cls" "$T"/src/*.java 2>&1 | grep -v "warning\|^Note"
want() { case " ${STEPS:-1 2 3 4 5} " in *" $1 "*) return 0;; esac; return 1; }
RUN="$J/java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -cp $T/cls:$CP"
if want 1; then
  $RUN ThpBf16 "$W/thp-head.bin" 9 2>&1 | grep -v WARNING > "$D/kernel.txt"
fi
if want 2; then
  F=$W/pc-probe.bin # 1 GiB of the checkpoint, copied by dd in 64 KiB writes (as a downloader writes)
  dd if="$W/olmoe-hf/model.safetensors" of="$F" bs=64k count=16384 status=none
  { echo "== the page cache as its writer left it"; $RUN PageCacheProbe "$F" 0
    echo "== MADV_COLLAPSE on it"; $RUN PageCacheProbe "$F" 14 c
    sync; echo 1 > /proc/sys/vm/drop_caches
    echo "== cold, MADV_HUGEPAGE"; $RUN PageCacheProbe "$F" 14
    sync; echo 1 > /proc/sys/vm/drop_caches
    echo "== cold, no advice"; $RUN PageCacheProbe "$F" 0
    echo "== warm again (the cold read's page cache)"; $RUN PageCacheProbe "$F" 0; } 2>&1 | grep -v WARNING > "$D/page-cache.txt"
  rm -f "$F"
fi
if want 3; then
  for m in olmoe-bf16 olmoe-int4-all; do
    echo "== $m"; $RUN HugeAb "$W/$m" 12 2>&1 | grep -v "WARN\|INFO\|^[A-Z][a-z][a-z] [0-9]"
  done > "$D/model-ab.txt"
fi
# 4 (needs root). A cold first load of the bf16 checkpoint by strata bench, its mapping not advised
#   (-Dstrata.hugePages=false) and advised, then warm: the share of resident memory in 2 MiB pages.
if want 4; then
  for opt in -Dstrata.hugePages=false -Dstrata.hugePages=true; do
    sync; echo 1 > /proc/sys/vm/drop_caches
    echo "== cold, $opt"; STRATA_JAVA_OPTS=$opt STRATA_NO_BUILD=1 ./strata bench -m "$W/olmoe-hf" -p 8 -n 16 -r 2 -t 2 --warmup-max 3 -o md 2>&1 | grep -E "resident memory|^memory:"
  done > "$D/cold-load.txt"
  { echo "== warm, default"; STRATA_NO_BUILD=1 ./strata bench -m "$W/olmoe-hf" -p 8 -n 16 -r 2 -t 2 --warmup-max 3 -o md 2>&1 | grep -E "resident memory|^memory:"; } >> "$D/cold-load.txt"
fi
# 5 (needs root). The bf16 checkpoint in 4 KiB and in 2 MiB pages in one JVM: a copy of its folder loaded unadvised,
#   the folder itself advised, both from a cold page cache; HugeAb's pairs.
if want 5; then
  rm -rf "$W/olmoe-hf-copy"; cp -r "$W/olmoe-hf" "$W/olmoe-hf-copy"
  sync; echo 1 > /proc/sys/vm/drop_caches
  $RUN HugeAb "$W/olmoe-hf" 12 32 "$W/olmoe-hf-copy" 2>&1 | grep -v "WARN\|INFO\|^[A-Z][a-z][a-z] [0-9]" > "$D/checkpoint-ab.txt"
  rm -rf "$W/olmoe-hf-copy"
fi
