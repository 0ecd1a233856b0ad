#!/usr/bin/env bash
# The CUDA checks in one run on the GPU machine (repo root, with .device/ from prepare_device.sh):
# nvidia-smi, the GPU tests of kernels-cuda (and of the engine's CUDA backend when present) through
# the JUnit console launcher, then the bandwidth benchmark. Logs and JSON go to $OUT; a short table
# is printed last. Every step runs even when an earlier one fails (set +e); the step limits add up
# to 200 s (about 1-2 minutes expected on an H100 machine). Without a GPU the tests skip, the
# benchmark fails with "CUDA backend unavailable: ...", and the script still ends with its table.
set +e
set -o pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
OUT=${OUT:-/tmp/strata-cuda-checks}
mkdir -p "$OUT"
log=$OUT/checks.log
: > "$log"
summary=()
t_all=$(date +%s)

step() {  # step NAME LIMIT_S COMMAND...: runs, logs to $log and $OUT/NAME.txt, records rc and seconds
  local name=$1 limit=$2; shift 2
  local t0=$(date +%s)
  echo "=== $name ($(date -u +%H:%M:%S), limit ${limit}s)" | tee -a "$log"
  timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$OUT/$name.txt" | tee -a "$log"
  local rc=${PIPESTATUS[0]}
  local dt=$(( $(date +%s) - t0 ))
  summary+=("$(printf '%-26s rc=%-4s %4ss' "$name" "$rc" "$dt")")
  echo "=== $name: rc=$rc in ${dt}s" | tee -a "$log"
  return $rc
}

# 1. the GPU
if command -v nvidia-smi >/dev/null; then
  step nvidia-smi 15 bash -c 'nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem --format=csv; nvidia-smi' 
else
  echo "no nvidia-smi: not a GPU machine (GPU tests will skip)" | tee -a "$log"
  summary+=("$(printf '%-26s %s' nvidia-smi 'absent')")
fi

# 2. Java: the carried JRE, else a local one
JAVA=
if [ -f .device/jre.tar.xz ]; then
  rm -rf /tmp/jre && tar xJf .device/jre.tar.xz -C /tmp && JAVA=/tmp/jre/bin/java
fi
[ -z "$JAVA" ] && [ -n "$JAVA_HOME" ] && [ -x "$JAVA_HOME/bin/java" ] && JAVA=$JAVA_HOME/bin/java
[ -z "$JAVA" ] && JAVA=$(command -v java)
if [ -z "$JAVA" ] || [ ! -d .device/lib ]; then
  echo "missing Java or .device/lib: run tools/gpu/prepare_device.sh first" | tee -a "$log"
  exit 2
fi
"$JAVA" -version 2>&1 | tee -a "$log"
JOPTS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx8g)
console=$(ls .device/lib/junit-platform-console-standalone-*.jar 2>/dev/null | head -1)
cp=$(ls .device/lib/*.jar | grep -v junit-platform-console-standalone | tr '\n' ':')

# 3. GPU tests: every kernel vs its scalar reference, pinned memory, the VRAM fast tier under the store's policy.
# Test classes are directories (see prepare_device.sh); only those roots are scanned.
tests=.device/test-classes/kernels-cuda
step junit-kernels-cuda 80 "$JAVA" "${JOPTS[@]}" -Dstrata.cuda.checkLaunches=true -jar "$console" execute \
  --disable-banner --disable-ansi-colors --details=tree --class-path "$cp$tests" --scan-class-path "$tests" \
  --exclude-classname '.*KernelEmulationTest'   # the host emulator needs no GPU; it runs in CI
# 3b. the engine's CUDA tests, when this tree has them: backend parity and goldens, and a run's VRAM hits against the
#     replay of the trace it recorded (the store owns VRAM under its eviction policy)
etests=.device/test-classes/engine-java
if [ -d "$etests/io/strata/engine/backend/cuda" ]; then
  step junit-engine-cuda 50 "$JAVA" "${JOPTS[@]}" -Dstrata.cuda.checkLaunches=true -jar "$console" execute \
    --disable-banner --disable-ansi-colors --details=tree --class-path "$cp$etests" --scan-class-path "$etests" \
    --include-classname '.*\.(Cuda[A-Za-z]*Test|RunMatchesReplayTest)'
fi

# 4. bandwidth benchmark (launch checks off: they would serialise the timed launches)
step cuda-bandwidth 55 "$JAVA" "${JOPTS[@]}" -cp "$cp" io.strata.bench.cuda.CudaBandwidthBench --json "$OUT/cuda-bandwidth.json"

# 5. short table last
{
  echo
  echo "================ summary ($(( $(date +%s) - t_all ))s total)"
  printf '%s\n' "${summary[@]}"
  for f in "$OUT"/junit-*.txt; do
    [ -f "$f" ] || continue
    echo "-- $(basename "$f" .txt):"
    grep -E 'tests (successful|failed|aborted|skipped|found)|containers (failed|aborted)' "$f" | sed 's/^ *\[ */  /; s/ *\]$//'
    grep -E '✘|Assumption failed' "$f" | head -15 | cut -c1-220 | sed 's/^/  /'
  done
  if [ -f "$OUT/cuda-bandwidth.txt" ]; then
    echo "-- bandwidth:"
    sed -n '/^benchmark /,$p' "$OUT/cuda-bandwidth.txt" | grep -v '^wrote'
  fi
} | tee "$OUT/summary.txt"
