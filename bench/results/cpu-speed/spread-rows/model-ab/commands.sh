#!/usr/bin/env bash
# The same A/B at the model level: `strata bench` of the int4-all and int8-all stores and the bf16 checkpoint folder of
# the side-by-side (bench/cpu-vs-llamacpp.sh makes them in ~/.cache/strata/vs-llamacpp), three rounds, each round the
# build before (OLD_CLASSES first on the class path: the compression module of commit 1a375af) then the build after.
#   bash commands.sh OLD_CLASSES [OUT_DIR]      (from the repository root, after ./build install)
set -euo pipefail
old=$1
out=${2:-bench/results/cpu-speed/spread-rows/model-ab}
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
jar=$(ls cli/target/strata-cli-*.jar | grep -v -e sources -e javadoc | head -1)
w=${WORK:-$HOME/.cache/strata/vs-llamacpp}
for round in 1 2 3; do
  for build in before after; do
    cp="$jar:cli/target/lib/*"
    [ "$build" = before ] && cp="$old:$cp"
    "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dstrata.root="$PWD" -cp "$cp" \
      io.strata.engine.cli.StrataCli bench -p 32 -n 32 -r 1 -t 2 --warmup-max 10 \
      -m "$w/olmoe-int4-all,$w/olmoe-int8-all,$w/olmoe-hf" --json "$out/$build-$round.json" > /dev/null 2>&1
  done
done
