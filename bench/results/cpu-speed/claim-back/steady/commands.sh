#!/usr/bin/env bash
# tiny-moe's checkpoint decoded right after start-up against the suite's steady rounds, and the cold start-up with the
# launcher's cache and without it; three interleaved rounds. From the repository root, built.
set -euo pipefail
OUT=$(cd "$(dirname "$0")" && pwd)
S() { STRATA_NO_BUILD=1 ./strata "$@"; }
for r in 1 2 3; do
  S bench decode --model models/tiny-moe --tokens 96 --warmup 96 --json "$OUT/decode-r$r.json" > "$OUT/decode-r$r.txt" 2>&1
  S bench -m models/tiny-moe -p 16 -n 96 -r 1 -t 2 --warmup-max 1 --json "$OUT/suite-warmup1-r$r.json" > "$OUT/suite-warmup1-r$r.txt" 2>&1
  S bench -m models/tiny-moe -p 16 -n 96 -r 3 -t 2 --warmup-max 10 --json "$OUT/suite-steady-r$r.json" > "$OUT/suite-steady-r$r.txt" 2>&1
  for a in 1 0; do
    s=$(date +%s%N)
    STRATA_AOT=$a S run --model models/tiny-moe --prompt "And the LORD said" --max-tokens 1 --threads 2 > /dev/null 2>&1
    e=$(date +%s%N)
    echo "round $r STRATA_AOT=$a launch to exit $(( (e - s) / 1000000 )) ms" >> "$OUT/startup.txt"
  done
done
