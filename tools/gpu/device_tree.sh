#!/usr/bin/env bash
# What travels to the GPU machine: the working tree (tracked files and untracked ones git does not ignore) and .device/,
# 64 MiB at most per device call. The tree alone is larger than that, so before a call `hide` moves the largest paths
# that the GPU scripts never read into .device-stash/ (ignored, so it stays on this machine), and after it `restore`
# puts them back. `size` prints what would travel now.
#
#   tools/gpu/prepare_device.sh; tools/gpu/device_tree.sh hide; (the device call); tools/gpu/device_tree.sh restore
#
# prepare_device.sh builds the reactor, so it runs before `hide` (the build reads the hidden test resources).
# The GPU scripts (run_final_checks.sh, run_hybrid.sh, run_cuda_checks.sh, ...) run from .device/ (runtime jars, test
# classes with their resources, a JRE; tools/gpu/prepare_device.sh) and synthesise their models on the machine; the
# golden fixtures reach the GPU tests through .device/test-classes. With models/tiny-moe away, CudaStoreTest's FloE case
# skips by its assumption.
set -euo pipefail
cd "$(dirname "$0")/../.."
STASH=.device-stash
LIMIT=$((64 * 1024 * 1024))
# Never read on the device; together about 85 MiB of the tree's 95 (it grows with bench/results).
PATHS=(models/tiny-moe bench/results engine-java/src/test/resources)

exclude=$(git rev-parse --git-path info/exclude)
grep -qx "/$STASH/" "$exclude" 2>/dev/null || echo "/$STASH/" >> "$exclude"

travelling() { # bytes that a device call would carry now
  local tree dev=0
  # tracked files moved away by hide are not there to stat: xargs then fails, and what is there is still summed
  tree=$( (git ls-files -co --exclude-standard -z | xargs -0 stat -c %s 2>/dev/null || true) | awk '{s += $1} END {print s + 0}')
  [ -d .device ] && dev=$(du -sb .device | cut -f1)
  echo "$tree $dev"
}

case ${1:-} in
  hide)
    mkdir -p "$STASH"
    for p in "${PATHS[@]}"; do
      if [ -e "$STASH/$p" ]; then echo "device_tree.sh: $STASH/$p already there: run restore first" >&2; exit 1; fi
      [ -e "$p" ] || continue
      mkdir -p "$STASH/$(dirname "$p")"
      mv "$p" "$STASH/$p"
    done
    ;;
  restore)
    for p in "${PATHS[@]}"; do
      [ -e "$STASH/$p" ] || continue
      if [ -e "$p" ]; then echo "device_tree.sh: $p exists beside its stashed copy; left both as they are" >&2; exit 1; fi
      mkdir -p "$(dirname "$p")"
      mv "$STASH/$p" "$p"
    done
    find "$STASH" -depth -type d -empty -delete 2>/dev/null || true
    ;;
  size) ;;
  *) sed -n '2,16p' "$0"; exit 2 ;;
esac
read -r tree dev < <(travelling)
total=$((tree + dev))
printf 'would travel: tree %.1f MiB + .device %.1f MiB = %.1f MiB (limit 64 MiB)%s\n' \
  "$(echo "$tree / 1048576" | bc -l)" "$(echo "$dev / 1048576" | bc -l)" "$(echo "$total / 1048576" | bc -l)" \
  "$([ $total -gt $LIMIT ] && echo ': over the limit' || true)"
