#!/usr/bin/env bash
# INT4 batched (prefill) kernel with fused passes of one and two tokens (fused4x1Int4, fused4x2Int4) for the last block of
# a batch, against the padded four-token pass (OLD_JAR: the compression jar of the previous commit; NEW_JAR: this
# change), interleaved, one thread, int4-g64, [1024, 2048] and [2048, 1024]; 4 tokens is the control (its code did not
# change). Run from the repository root after ./build install. Output: output.txt (and a second run, output-2.txt)
set -u
OLD_JAR=${OLD_JAR:-/tmp/ab/q-old.jar} NEW_JAR=${NEW_JAR:-/tmp/ab/q-new.jar}
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
for round in 1 2 3 4 5 6; do
  for shape in "1024 2048" "2048 1024"; do
    set -- $shape
    for t in 2 4 5 6; do
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
