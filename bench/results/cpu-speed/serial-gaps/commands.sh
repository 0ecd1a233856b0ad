#!/usr/bin/env bash
# Where the time between the parallel calls goes (instrument.py.txt applied to Parallel.java, its compression jar at
# INSTR_JAR), on the OLMoE-shaped stores of bench/cpu-vs-llamacpp.sh: decode of the int4 store and prefill of the bf16
# checkpoint and the int4 and int8 stores; then int4 decode with the engine jar of the previous commit against this one
# (ENGINE_NEW: engine-java/target/strata-engine-java-0.1.0-SNAPSHOT.jar with the activation inside the gate/up call).
# Run from the repository root; cli/target/lib holds the previous commit's engine jar. Output: output.txt.
set -u
INSTR_JAR=${INSTR_JAR:-/tmp/ab/instr.jar} ENGINE_NEW=${ENGINE_NEW:-/tmp/ab/engine-new.jar}
W=${W:-$HOME/.cache/strata/vs-llamacpp}
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
run() { # label extra-classpath ring bench-args...
  local label=$1 extra=$2 ring=$3; shift 3
  echo "== $label: strata bench $*"
  $J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dring=$ring -cp "$INSTR_JAR:${extra}cli/target/strata-cli-0.1.0-SNAPSHOT.jar:cli/target/lib/*" \
    io.strata.engine.cli.StrataCli bench "$@" 2>&1 | grep -E "^\| /|PARALLEL|GAP" | grep -v StreamRead
}
run "int4 store, decode" "" 20000 -m $W/olmoe-int4-all -t 2 -p 1 -n 32 -r 20 --warmup-max 10
for m in olmoe-hf olmoe-int4-all olmoe-int8-all; do run "$m, prefill" "" 3000 -m $W/$m -t 2 -p 32 -n 1 -r 10 --warmup-max 8; done
for r in 1 2; do
  run "int4 store, decode, before (activation after the gate/up call), round $r" "" 20000 -m $W/olmoe-int4-all -t 2 -p 1 -n 32 -r 20 --warmup-max 10
  run "int4 store, decode, after (activation inside the gate/up call), round $r" "$ENGINE_NEW:" 20000 -m $W/olmoe-int4-all -t 2 -p 1 -n 32 -r 20 --warmup-max 10
done
