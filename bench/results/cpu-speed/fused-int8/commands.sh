#!/usr/bin/env bash
# The prefill passes of INT4 and INT8 rows (VectorQuantKernels.rowsBatched), measured in one JVM per comparison: a
# scratch build of the compression module with a system property read per call that switches between the two ways
# (the property is not in the kept code), and these harnesses (.java.txt: javac against that jar and cli/target/lib):
#   FusedAb       -Dstrata.fusedInt8   INT8 fused passes (fused-int8.patch.txt: an INT8-only copy, loop count 3)
#                                      against the stored rows                                          output.txt
#   PrefillAb     the same switch, pp32 pairs of a model                                                output.txt
#   SpreadAb      -Dstrata.spreadQuant rows a quarter of the range apart against consecutive rows        spread.txt
#   SpreadModelAb the same switch, pp32 pairs                                                           spread.txt
#   GenericAb     -Dstrata.genericFused the kept passes (bits a parameter) against the INT4-only passes and,
#                                      for INT8, the stored rows                                        generic.txt
#   GenericModelAb the same switch, pp32 pairs                                                          generic.txt
# and JarAb (../register-sums/JarAb.java.txt), the kept build against the one before it, pp32/tg32 pairs: model-ab.txt.
# Kernel harness arguments: rounds; -Dbits=4,8 -Drows=1024,65536 -Dns=2,4,6,8 choose the cases. Model harness
# arguments: MODEL PAIRS PROMPT_TOKENS. Models: the OLMoE-shaped stores of bench/cpu-vs-llamacpp.sh.
set -eu
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin
W=${W:-$HOME/.cache/strata/vs-llamacpp}
JAR=${JAR:?the scratch compression jar with the switch}
LIBS=${LIBS:?a folder with cli/target/lib minus the compression jar}
T=$(mktemp -d); D=$(cd "$(dirname "$0")" && pwd)
for h in FusedAb PrefillAb SpreadAb SpreadModelAb GenericAb GenericModelAb; do cp "$D/$h.java.txt" "$T/$h.java"; done
"$J/javac" --add-modules jdk.incubator.vector -cp "$JAR:$LIBS/*" -d "$T" "$T"/*.java
run() { "$J/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$T:$JAR:$LIBS/*" "$@" 2>&1 | grep -v -E "WARN|INFO|^[A-Z][a-z]{2} [0-9]+, 20"; }
run -Dbits=4,8 -Drows=1024,2048,65536 -Dns=2,4,6,8 GenericAb 8
run GenericModelAb "$W/olmoe-int8-all" 16 32
run GenericModelAb "$W/olmoe-int4-all" 16 32
C=cli/target/strata-cli-0.1.0-SNAPSHOT.jar
# JarAb: A = the jars before the change, B = after (each a folder with the compression jar), the rest shared
# "$J/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -cp JARAB_CLASSES JarAb "$C:A/*:$LIBS/*" "$C:B/*:$LIBS/*" "$W/olmoe-int8-all" 16 32 32
