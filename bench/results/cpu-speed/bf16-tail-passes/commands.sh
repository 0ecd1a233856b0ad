#!/usr/bin/env bash
# bf16 batched (prefill) kernel with passes of three and five tokens (rows4x3Bf16, rows4x5Bf16) against the previous
# compression jar (OLD_JAR: ./build install at 8799e9b, cli/target/lib/strata-compression-0.1.0-SNAPSHOT.jar; NEW_JAR
# the same after this change), interleaved, one thread, [1024, 2048] (rows of 4 KiB: consecutive rows) and [2048, 1024]
# (rows of 2 KiB: four rows a quarter of the range apart). NEW_JAR: built with rows4x3-rows4x5.patch applied (not kept).
# Run from the repository root after ./build install.
# Output: bench/results/cpu-speed/bf16-tail-passes/output.txt
set -u
OLD_JAR=${OLD_JAR:-/tmp/ab/old.jar} NEW_JAR=${NEW_JAR:-/tmp/ab/new.jar}
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
for round in 1 2 3 4 5 6; do
  for shape in "1024 2048" "2048 1024"; do
    set -- $shape
    for t in 3 4 5 7 9; do
      for v in before after; do
        jar=$NEW_JAR; [ $v = before ] && jar=$OLD_JAR
        printf 'round %s %s rows %s cols %s tokens %s: ' $round $v $1 $2 $t
        $J --add-modules jdk.incubator.vector -cp "$jar:cli/target/lib/*" io.strata.bench.kernels.KernelRateMain --layout bf16 \
          --rows $1 --cols $2 --tokens $t --rounds 7 2>/dev/null | sed 's/.*one thread: //'
      done
    done
  done
done
