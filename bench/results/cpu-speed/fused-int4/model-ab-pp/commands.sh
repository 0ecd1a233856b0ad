#!/usr/bin/env bash
# Model-level A/B of the fused INT4 prefill passes: the same CLI classes, with the previous compression classes
# (OLD_CLASSES) prepended for "before"; rounds interleaved, order alternating. Output: R-before.json, R-after.json.
set -u
OLD_CLASSES=${OLD_CLASSES:-/tmp/oldtree/compression/target/classes}
W=${W:-$HOME/.cache/strata/vs-llamacpp}
OUT=$(dirname "$0")
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
run() { # build round
  cp="cli/target/strata-cli-0.1.0-SNAPSHOT.jar:cli/target/lib/*"; [ $1 = before ] && cp="$OLD_CLASSES:$cp"
  $J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$cp" io.strata.engine.cli.StrataCli bench \
    -m $W/olmoe-int4-all -t 2 -p 32 -n 1 -r 5 --warmup-max 8 --json "$OUT/$2-$1.json" 2>&1 | grep -E "^\| /"
}
for r in 1 2 3 4 5 6; do
  if [ $((r % 2)) = 1 ]; then run before $r; run after $r; else run after $r; run before $r; fi
done
