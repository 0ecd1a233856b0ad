#!/usr/bin/env bash
# Model-level A/B of the INT4 prefill tail passes (fused4x1Int4, fused4x2Int4): the same CLI classes, with the compression
# jar of the previous commit (OLD_JAR) prepended for "before" and that of this change (NEW_JAR, compression/target after
# ./build install) for "after"; rounds interleaved, order alternating. Output: R-before.json, R-after.json, output.txt.
set -u
OLD_JAR=${OLD_JAR:-/tmp/ab/q-old.jar} NEW_JAR=${NEW_JAR:-/tmp/ab/q-new.jar}
W=${W:-$HOME/.cache/strata/vs-llamacpp}
M=${M:-olmoe-int4-all}
OUT=$(dirname "$0")
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
run() { # build round
  cp="$NEW_JAR:cli/target/strata-cli-0.1.0-SNAPSHOT.jar:cli/target/lib/*"; [ $1 = before ] && cp="$OLD_JAR:$cp"
  printf '%s round %s: ' $1 $2
  $J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$cp" io.strata.engine.cli.StrataCli bench \
    -m $W/$M -t 2 -p 32 -n 1 -r 5 --warmup-max 8 --json "$OUT/$2-$1.json" 2>&1 | grep -E "^\| /" | grep pp32
}
for r in 1 2 3 4 5 6; do
  if [ $((r % 2)) = 1 ]; then run before $r; run after $r; else run after $r; run before $r; fi
done
