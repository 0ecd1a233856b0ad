#!/usr/bin/env bash
# Where a step's time goes on the AMD EPYC (Zen 5) VM: the parallel calls of a run timed by ../serial-gaps/instrument.py.txt
# (applied to Parallel.java for a measurement only; its compression jar at INSTR_JAR), on the OLMoE-shaped stores of
# bench/cpu-vs-llamacpp.sh: decode and prefill of the int4 store, then llama-bench on the same weights beside them.
# Run from the repository root after a build. Output: output.txt.
set -u
INSTR_JAR=${INSTR_JAR:-/tmp/ab/instr.jar} LLAMA=${LLAMA:-/work/peer/llama.cpp/build}
W=${W:-$HOME/.cache/strata/vs-llamacpp}
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
run() { # label ring bench-args...
  local label=$1 ring=$2; shift 2
  echo "== $label: strata bench $*"
  $J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dring=$ring -cp "$INSTR_JAR:cli/target/strata-cli-0.1.0-SNAPSHOT.jar:cli/target/lib/*" \
    io.strata.engine.cli.StrataCli bench "$@" 2>&1 | grep -E "^\| /|PARALLEL|GAP" | grep -v StreamRead
}
for r in 1 2; do
  run "int4 store, decode, round $r" 20000 -m $W/olmoe-int4-all -t 2 -p 1 -n 32 -r 20 --warmup-max 10
  echo "== llama-bench Q4_0 tg32 pp32, round $r"
  LD_LIBRARY_PATH=$LLAMA/bin $LLAMA/bin/llama-bench -m $W/olmoe-Q4_0.gguf -p 32 -n 32 -r 5 -t 2 2>/dev/null | grep -E "^\|"
  run "int4 store, prefill, round $r" 3000 -m $W/olmoe-int4-all -t 2 -p 32 -n 1 -r 10 --warmup-max 8
done
