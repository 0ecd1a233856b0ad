#!/usr/bin/env bash
# A scratch measurement, not product code: C2's auto-vectorizer on the pair-sum pattern out[i] += a[2i]·b[2i] +
# a[2i+1]·b[2i+1] over short arrays (the MulAddS2I pattern, which x86 can run as vpmaddwd or, with AVX512-VNNI, as
# vpdpwssd), against a float fma loop of the same shape, one thread. Output: output.txt.
set -u
D=$(cd "$(dirname "$0")" && pwd)
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin
T=$(mktemp -d) && cp "$D/MaddBench.java.txt" "$T/MaddBench.java" && "$J/javac" -d "$T" "$T/MaddBench.java" && \
  for pass in 1 2 3; do echo "pass $pass"; "$J/java" -cp "$T" MaddBench; done
