#!/usr/bin/env bash
# The dot-product instructions against the fma loops, in C, beside Strata's shipped kernels (KernelRateMain), on one
# and two threads, from the cache and from memory; two passes, the order the same in each. Run from the repository
# root after `./build -o install -DskipTests`; writes output.txt (and strata_order_int8.txt) beside this file.
set -euo pipefail
here=bench/results/cpu-speed/isa-bound
gcc -O2 -Wall -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni -mavx512bf16 -mfma bench/isa/isa_bound.c \
    -o /tmp/isa_bound -lm -lpthread
java="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
krm() { "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "cli/target/lib/*" \
    io.strata.bench.kernels.KernelRateMain --rounds 7 "$@" 2>&1 | grep -v WARNING; }
{
    uname -r; grep -m1 "model name" /proc/cpuinfo; date -u
    for pass in 1 2; do
        echo "=== pass $pass"
        echo "--- C, from L2 (256 rows), one thread"; /tmp/isa_bound 256 1
        echo "--- C, from L3 (4096 rows), one thread"; /tmp/isa_bound 4096 1
        echo "--- Strata, from the cache, one thread"
        krm --layout bf16 --rows 256; krm --layout int8 --rows 4096; krm --layout int4 --rows 4096
        echo "--- C, from memory (131072 rows), one thread"; /tmp/isa_bound 131072 1
        echo "--- Strata, from memory, one thread"
        krm --layout read --rows 150000; krm --layout bf16 --rows 150000; krm --layout int8 --rows 300000
        krm --layout int4 --rows 600000
        echo "--- C, from memory (131072 rows), two threads"; /tmp/isa_bound 131072 2
        echo "--- Strata, from memory, split over two threads as the engine splits"
        krm --layout read --rows 150000 --split; krm --layout bf16 --rows 150000 --split
        krm --layout int8 --rows 300000 --split; krm --layout int4 --rows 600000 --split
    done
} > "$here/output.txt" 2>&1
# The loop of Strata's one-token INT8 pass alone, in C (strata_order_int8.txt)
gcc -O2 -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma "$here/strata_order_int8.c" -o /tmp/strata_order_int8 -lm
/tmp/strata_order_int8 4096 > "$here/strata_order_int8.txt"
