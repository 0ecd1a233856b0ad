#!/usr/bin/env bash
# Expert-sized calls against one long call over the same bytes (ExpertCalls): int4 and int8, from memory (256
# matrices) and from L3 (8). Run from the repository root after a build; writes output.txt beside this file.
set -eu
here=bench/results/cpu-speed/expert-calls
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin
T=$(mktemp -d) && mkdir -p "$T/src" && cp "$here/ExpertCalls.java.txt" "$T/src/ExpertCalls.java"
"$J/javac" --add-modules jdk.incubator.vector -cp "cli/target/lib/*" -d "$T/cls" "$T/src/ExpertCalls.java" 2>&1 | grep -v "warning\|^Note" || true
for count in 256 8; do for bits in 4 8; do
  "$J/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$T/cls:cli/target/lib/*" ExpertCalls $bits $count 2>&1 | grep -v WARN
done; done > "$here/output.txt"
# The activation prologue before and after (Prologue): prologue.txt
cp "$here/Prologue.java.txt" "$T/src/Prologue.java"
"$J/javac" --add-modules jdk.incubator.vector -d "$T/cls" "$T/src/Prologue.java" 2>&1 | grep -v "warning\|^Note" || true
for bits in 4 8; do "$J/java" --add-modules jdk.incubator.vector -cp "$T/cls" Prologue $bits 2>&1 | grep -v WARN; done > "$here/prologue.txt"
