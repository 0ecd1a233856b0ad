#!/usr/bin/env bash
# Runs the Java GPU tests (normally skipped without a GPU) against the host emulator: builds a
# stand-in libcuda.so.1 (fake_libcuda.cpp: driver-API calls on the host, kernels on cuda_emu.h)
# and puts it on LD_LIBRARY_PATH, so JCuda, our runtime and the CUDA backend run end to end.
# Kernels run on one OS thread (a block's CUDA threads as fibers), so this checks logic and
# driver-API use, not speed or races.
# Usage (repo root): kernels-cuda/src/test/cuda-emu/run_java_gpu_tests.sh [-Dtest=...] [-pl engine-java]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
out="$root/kernels-cuda/target/cuda-emu/fake"
mkdir -p "$out"
g++ -std=c++20 -O1 -pthread -fPIC -shared -I"$here" -include cuda_emu.h "$here/fake_libcuda.cpp" -o "$out/libcuda.so.1"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
cd "$root"
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(-pl kernels-cuda,engine-java "-Dtest=Cuda*Test" -Dsurefire.failIfNoSpecifiedTests=false)
LD_LIBRARY_PATH="$out${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ./mvnw -B -ntp test "${args[@]}"
