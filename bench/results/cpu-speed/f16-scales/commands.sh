#!/usr/bin/env bash
# A scratch comparison, not product code: the f16 scale and zero conversion of the quantized kernels' blockParams (a bulk
# copy into short[], then Float.float16ToFloat loops that C2 vectorizes) against a Vector API conversion read straight
# from the segment (bit operations and a blend for subnormals; it leaves infinities wrong, the 2 mismatches it reports,
# which did not matter for a speed comparison it lost). 512 values a block, as 16 rows × 32 groups. Output: output.txt.
set -u
D=$(cd "$(dirname "$0")" && pwd)
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin
T=$(mktemp -d) && cp "$D/HalfBench.java.txt" "$T/HalfBench.java" && "$J/javac" --add-modules jdk.incubator.vector -d "$T" "$T/HalfBench.java" 2>/dev/null && \
  for pass in 1 2; do echo "pass $pass"; "$J/java" --add-modules jdk.incubator.vector -cp "$T" HalfBench 2>/dev/null; done
