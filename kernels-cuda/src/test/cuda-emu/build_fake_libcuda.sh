#!/usr/bin/env bash
# Builds the stand-in libcuda.so.1 (fake_libcuda.cpp on the host emulator) into OUTDIR, so the engine's CUDA tests run
# through JCuda without a GPU (the engine's cuda-emu test execution puts OUTDIR on LD_LIBRARY_PATH). Rebuilds only
# when a kernel or emulator source is newer than the library; without g++ it says so and does nothing (those tests
# then skip, as on any machine without CUDA).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build_fake_libcuda.sh OUTDIR}
mkdir -p "$out"
lib="$out/libcuda.so.1"
if ! command -v g++ >/dev/null; then
  echo "build_fake_libcuda: g++ not found: the CUDA emulator tests will skip"
  exit 0
fi
if [ -f "$lib" ] && [ -z "$(find "$here" "$here/../../main/cuda" -newer "$lib" -type f | head -1)" ]; then
  echo "build_fake_libcuda: $lib up to date"
  exit 0
fi
g++ -std=c++20 -O1 -pthread -fPIC -shared -I"$here" -include cuda_emu.h "$here/fake_libcuda.cpp" -o "$lib.tmp"
mv -f "$lib.tmp" "$lib"
echo "build_fake_libcuda: built $lib"
