#!/usr/bin/env bash
# Times emu_test (every kernel against its double-precision reference) built on this checkout's
# emulator and on that of a baseline git revision, runs interleaved (base, new, base,
# new, ...) so load from other processes hits both alike. Writes JSON (wall, user and system
# seconds per run, the checks line of each) to kernels-cuda/target/cuda-emu/timing.json.
# Usage (repo root): kernels-cuda/src/test/cuda-emu/time_emulator.sh BASELINE_REV [RUNS]
set -euo pipefail
rev=${1:?usage: time_emulator.sh BASELINE_REV [RUNS]}
runs=${2:-2}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
out="$root/kernels-cuda/target/cuda-emu/timing"
rm -rf "$out" && mkdir -p "$out/base" "$out/new"
git -C "$root" show "$rev:kernels-cuda/src/test/cuda-emu/cuda_emu.h" > "$out/base/cuda_emu.h"
cp "$here/cuda_fp16.h" "$out/base/"
cp "$here/cuda_emu.h" "$here/cuda_fp16.h" "$out/new/"
# Each emulator with the emu_test.cpp of its revision (the newer one adds checks that a barrier
# misuse aborts, which the older emulator would hang on); both check the kernels of this checkout.
git -C "$root" show "$rev:kernels-cuda/src/test/cuda-emu/emu_test.cpp" > "$out/base/emu_test.cpp"
cp "$here/emu_test.cpp" "$out/new/"
for v in base new; do
    sed -i "s#\"../../main/cuda/#\"$root/kernels-cuda/src/main/cuda/#" "$out/$v/emu_test.cpp"
    g++ -std=c++20 -O1 -pthread -I"$out/$v" -include "$out/$v/cuda_emu.h" "$out/$v/emu_test.cpp" -o "$out/$v/emu_test"
done
json="$root/kernels-cuda/target/cuda-emu/timing.json"
{
    echo "{\"command\": \"kernels-cuda/src/test/cuda-emu/time_emulator.sh $rev $runs\","
    echo " \"baseline\": \"$(git -C "$root" rev-parse "$rev")\", \"cores\": $(nproc),"
    echo " \"runs\": ["
    sep=""
    for i in $(seq 1 "$runs"); do
        for v in base new; do
            load=$(cut -d' ' -f1 /proc/loadavg)
            /usr/bin/time -f "%e %U %S" -o "$out/$v/time" "$out/$v/emu_test" > "$out/$v/log" || true
            read -r wall user sys < "$out/$v/time"
            checks=$(grep -E '^[0-9]+ checks' "$out/$v/log" || echo "no summary")
            echo "  $sep{\"emulator\": \"$v\", \"wall_s\": $wall, \"user_s\": $user, \"sys_s\": $sys, \"load_before\": $load, \"result\": \"$checks\"}"
            sep=","
        done
    done
    echo " ]}"
} > "$json"
cat "$json"
