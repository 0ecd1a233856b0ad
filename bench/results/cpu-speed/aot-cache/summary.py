#!/usr/bin/env python3
"""Medians of commands.sh's runs (time to first token, wall clock from launch to exit), the per-round ratios against
the old build, and whether every setting gave the same tokens."""
import glob, json, os, statistics, sys

out = sys.argv[1]
SETS = ("old", "no-aot", "aot")
for name in ("tiny", "olmoe-hf", "olmoe-int4-all"):
    runs = {}
    for s in SETS:
        files = sorted(glob.glob(os.path.join(out, f"{name}-{s}-*.json")), key=lambda f: int(f.rsplit("-", 1)[1][:-5]))
        if files:
            runs[s] = ([json.load(open(f)) for f in files], [int(open(f[:-5] + ".wall").read()) for f in files])
    for s, (js, walls) in runs.items():
        ttft = [j["ttft_ms"] for j in js]
        print(f"{name:14s} {s:6s} first token, ms: {', '.join(f'{t:.0f}' for t in ttft)} (median {statistics.median(ttft):.0f});"
              f" launch to exit, ms: {', '.join(map(str, walls))} (median {statistics.median(walls):.0f})")
    for s in SETS[1:]:
        if "old" in runs and s in runs:
            pairs = list(zip(runs["old"][0], runs[s][0]))
            r = sorted(b["ttft_ms"] / a["ttft_ms"] for a, b in pairs)
            w = sorted(b / a for a, b in zip(runs["old"][1], runs[s][1]))
            print(f"{name:14s} {s}/old per round: first token {', '.join(f'{x:.2f}' for x in r)} (median {statistics.median(r):.2f});"
                  f" launch to exit {', '.join(f'{x:.2f}' for x in w)} (median {statistics.median(w):.2f})")
    ids = {tuple(j["token_ids"]) for s in runs for j in runs[s][0]}
    print(f"{name:14s} the same token ids in every run: {len(ids) == 1}")
