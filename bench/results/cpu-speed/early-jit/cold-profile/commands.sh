#!/usr/bin/env bash
# Where a cold tiny-moe run's time goes, with the launcher's early compilation off and on: a JFR recording sampling
# Java threads every millisecond (sample-1ms.jfc), summarized by the first two Strata frames of each sample
# (profile-off.txt, profile-on.txt), and -XX:+PrintCompilation's C2 (tier 4) compilations of the bf16 passes
# (compilation-off.txt, compilation-on.txt; the first column is milliseconds since launch).
# Usage: commands.sh OUT_DIR
set -euo pipefail
OUT=${1:?out dir}; HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../../../../.." && pwd)
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
mkdir -p "$OUT"
run() { STRATA_NO_BUILD=1 STRATA_EARLY_JIT=$1 STRATA_JAVA_OPTS="$2" "$ROOT/strata" run --model "$ROOT/models/tiny-moe" --prompt "And the LORD said" --max-tokens 1 --threads 2; }
for s in off on; do
  e=$([ $s = on ] && echo 1 || echo 0)
  run $e "-XX:StartFlightRecording=filename=$OUT/$s.jfr,settings=$HERE/sample-1ms.jfc" > "$OUT/run-$s.txt" 2>&1
  "$J/bin/jfr" print --stack-depth 64 --events jdk.ExecutionSample "$OUT/$s.jfr" > "$OUT/$s.samples.txt"
  python3 - "$OUT/$s.samples.txt" "$(tail -1 "$OUT/run-$s.txt")" > "$OUT/profile-$s.txt" <<'PY'
import collections, re, sys
ev = open(sys.argv[1]).read().split("jdk.ExecutionSample")[1:]
by, threads = collections.Counter(), collections.Counter()
for e in ev:
    fr = re.findall(r"^\s+([\w.$<>]+)\(", e, re.M)
    s = [f for f in fr if f.startswith("io.strata")]
    t = re.search(r'sampledThread = "([^"]+)"', e)
    threads[t.group(1) if t else "?"] += 1
    by[" < ".join(".".join(x.split(".")[-2:]) for x in s[:2]) if s else "(no Strata frame) " + (fr[-1] if fr else "?")] += 1
print(sys.argv[2])
print(f"{len(ev)} samples, 1 ms apart per thread; by thread: {dict(threads.most_common(4))}")
for k, v in by.most_common(25):
    print(f"{v:5d} {k}")
PY
  run $e "-XX:+PrintCompilation" 2>&1 | grep -E "VectorDenseKernels::rows4" | awk '$3 == 4 || $4 == 4' > "$OUT/compilation-$s.txt" || true
  rm -f "$OUT/$s.jfr" "$OUT/$s.samples.txt"
done
