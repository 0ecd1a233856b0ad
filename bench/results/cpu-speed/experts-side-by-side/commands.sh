#!/usr/bin/env bash
# Experts side by side (one expert per thread) against one after another (each product split over the threads), in one
# JVM per model: SideBySideAB.java.txt loads the model once, then runs pairs of (pp32, tg32) with
# MoeModel.expertsSideBySide on and off, the order alternating by pair, each sample the sum of REPS runs; and checks that
# the tokens generated are the same. Decode steps (one token) take the one-after-another path either way: their ratios
# are the control. Models: the OLMoE-shaped stores and checkpoint of bench/cpu-vs-llamacpp.sh, and tiny-moe.
# Run from the repository root after a build (ENGINE_JAR: the engine jar with the switch). Output: output.txt.
set -u
ENGINE_JAR=${ENGINE_JAR:-engine-java/target/strata-engine-java-0.1.0-SNAPSHOT.jar}
W=${W:-$HOME/.cache/strata/vs-llamacpp}
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin
D=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d) && cp "$D/SideBySideAB.java.txt" "$T/SideBySideAB.java" && "$J/javac" -cp "$ENGINE_JAR:cli/target/lib/*" -d "$T" "$T/SideBySideAB.java" || exit 1
run() { echo "== $*"; "$J/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$T:$ENGINE_JAR:cli/target/lib/*" SideBySideAB "$@" 2>&1 | grep -E "^pair|side by side"; }
run $W/olmoe-hf 12 1
run $W/olmoe-int4-all 12 1
run $W/olmoe-int8-all 12 1
run $W/olmoe-bf16 12 1
run models/tiny-moe 12 10
