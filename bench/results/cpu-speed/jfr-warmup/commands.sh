#!/usr/bin/env bash
# When the profiles' "Vector API not yet compiled (boxed)" samples are taken: JFR of decode of the --dense int4 store
# with the side-by-side's old profile settings (--warmup-max 3 -r 3) and with the measured runs' warm-up cap
# (--warmup-max 10) and ten repetitions, each summarised by bench/jfr_summary.py (which now says when the last boxed
# sample was taken). Run from the repository root after ./build install. Output: output.txt, *.json.
set -u
W=${W:-$HOME/.cache/strata/vs-llamacpp}
D=$(dirname "$0")
for spec in "3 3" "10 10"; do
  set -- $spec
  echo "== strata bench -m $W/olmoe-int4-all -t 2 -p 1 -n 32 --warmup-max $1 -r $2 (JFR, settings=profile)"
  STRATA_NO_BUILD=1 STRATA_JAVA_OPTS="-XX:StartFlightRecording=filename=/tmp/jfr-warmup-$1.jfr,settings=profile" \
    ./strata bench -m $W/olmoe-int4-all -t 2 -p 1 -n 32 --warmup-max $1 -r $2 2>&1 | grep -E "^\| /"
  python3 bench/jfr_summary.py /tmp/jfr-warmup-$1.jfr --json "$D/warmup-$1-r$2.json"
done
