#!/usr/bin/env bash
# Builds strata.fatbin from strata_kernels.cu and records the sources' SHA-256.
#   build.sh OUT_FATBIN            compile into OUT_FATBIN (no-op without nvcc: exit 0, message)
#   build.sh --update              compile into the checked-in resource and rewrite its .sha256
#                                  and .nvcc (the compiler build: byte identity holds per compiler)
#   build.sh --hash                print the sources' SHA-256 (what FatbinFreshnessTest recomputes)
# The hash covers every file in this folder, sorted by name, each as "name\n" + its bytes, so
# changing the nvcc flags below (they live in this file) also marks the fatbin stale.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
res="$here/../resources/io/strata/kernels/cuda"

src_hash() {
  (cd "$here" && for f in $(LC_ALL=C ls -1 | LC_ALL=C sort); do
     [ -f "$f" ] || continue; printf '%s\n' "$f"; cat "$f"; done) | sha256sum | cut -d' ' -f1
}

nvcc_version() { nvcc --version | grep -E '^Build ' | head -1; }

compile() {
  local out=$1
  # SASS for every architecture we support plus compute_75 PTX, so newer GPUs JIT from PTX.
  # No -use_fast_math: RoPE and softmax use the accurate sincosf/expf to match PyTorch.
  # -t 1: the architectures one after another. With parallel threads (-t 0) nvcc assembles the fatbin in the order
  # the compilations finish, so two builds of the same sources can differ byte for byte.
  (cd "$here" && nvcc -fatbin -O3 -std=c++17 -t 1 \
      -gencode arch=compute_75,code=sm_75 \
      -gencode arch=compute_80,code=sm_80 \
      -gencode arch=compute_86,code=sm_86 \
      -gencode arch=compute_89,code=sm_89 \
      -gencode arch=compute_90,code=sm_90 \
      -gencode arch=compute_75,code=compute_75 \
      -o "$out.tmp" strata_kernels.cu)
  mv "$out.tmp" "$out"
}

case "${1:-}" in
  --hash) src_hash ;;
  --update)
    command -v nvcc >/dev/null || { echo "build.sh: nvcc not on PATH, cannot update the fatbin" >&2; exit 1; }
    mkdir -p "$res"
    compile "$res/strata.fatbin"
    src_hash > "$res/strata.fatbin.sha256"
    nvcc_version > "$res/strata.fatbin.nvcc"
    echo "updated $res/strata.fatbin ($(stat -c %s "$res/strata.fatbin") bytes), sources $(cat "$res/strata.fatbin.sha256")" ;;
  "") echo "usage: build.sh OUT_FATBIN | --update | --hash" >&2; exit 2 ;;
  *)
    if ! command -v nvcc >/dev/null; then
      echo "build.sh: nvcc not on PATH; the jar uses the checked-in fatbin"; exit 0
    fi
    out=$1; mkdir -p "$(dirname "$out")"
    stamp="$out.sha256"
    h=$(src_hash)
    # Skip the compile when the sources have not changed since the last fresh build.
    if [ -f "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$h" ]; then
      echo "build.sh: $out up to date"; exit 0
    fi
    compile "$out"
    echo "$h" > "$stamp"
    nvcc_version > "$out.nvcc"
    echo "build.sh: built $out ($(stat -c %s "$out") bytes)" ;;
esac
