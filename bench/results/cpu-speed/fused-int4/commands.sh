#!/usr/bin/env bash
# INT4 batched (prefill) kernel: the rows dequantized in registers by each pass (fused4x4Int4) against the previous
# classes (the rows dequantized into a float row, then the 4x4 passes), interleaved, one thread, from the cache.
#   OLD_CLASSES: compression/target/classes of the previous commit (git worktree add /tmp/oldtree e7b89c6; build -pl compression)
#   run from the repository root after ./build install; output: bench/results/cpu-speed/fused-int4/output.txt
set -u
OLD_CLASSES=${OLD_CLASSES:-/tmp/oldtree/compression/target/classes}
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
for pass in 1 2; do
  for shape in "1024 2048" "2048 1024"; do
    set -- $shape
    for n in 2 3 4 5 8 32; do
      for build in before after; do
        cp="cli/target/lib/*"; [ $build = before ] && cp="$OLD_CLASSES:$cp"
        printf '%s pass %s: ' $build $pass
        $J --add-modules jdk.incubator.vector -cp "$cp" io.strata.bench.kernels.KernelRateMain --layout int4 --rows $1 --cols $2 \
          --tokens $n --rounds 7 2>/dev/null | tail -1
      done
    done
  done
done
