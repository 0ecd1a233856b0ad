#!/usr/bin/env bash
# INT4 batched (prefill) kernel with a fused pass of three tokens (fused4x3Int4) for the last block of
# a batch, against the padded four-token pass (OLD_JAR: the compression jar of the previous commit; NEW_JAR: this
# change), interleaved, one thread, int4-g64, [1024, 2048] and [2048, 1024]; 4 tokens is the control (its code did not
# change). NEW_JAR: built with fused4x3Int4.patch applied (not kept). Run from the repository root after ./build install.
# Output: output.txt
set -u
OLD_JAR=${OLD_JAR:-/tmp/ab/q3-old.jar} NEW_JAR=${NEW_JAR:-/tmp/ab/q3-new.jar}
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
for round in 1 2 3 4 5 6; do
  for shape in "1024 2048" "2048 1024"; do
    set -- $shape
    for t in 3 4 7; do
      for v in before after; do
        jar=$NEW_JAR; [ $v = before ] && jar=$OLD_JAR
        [ $((round % 2)) = 0 ] && { [ $v = before ] && jar=$NEW_JAR || jar=$OLD_JAR; [ $v = before ] && v=after || v=before; }
        printf 'round %s %s rows %s cols %s tokens %s: ' $round $v $1 $2 $t
        $J --add-modules jdk.incubator.vector -cp "$jar:cli/target/lib/*" io.strata.bench.kernels.KernelRateMain --layout int4 \
          --rows $1 --cols $2 --tokens $t --rounds 7 2>/dev/null | sed 's/.*one thread: //'
      done
    done
  done
done
