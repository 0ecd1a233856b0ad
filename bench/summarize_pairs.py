#!/usr/bin/env python3
"""Summarises interleaved JMH rounds of fooBefore/fooNow (or fooScalar/fooVector) pairs.

Usage: summarize_pairs.py ROUND.json... ; prints a Markdown table: per pair the score of each round,
the median ratio now/before (>1 = now is slower) and the spread of the per-round ratios.
"""
import json, statistics, sys, re
from collections import defaultdict

scores = defaultdict(list)  # benchmark name (with params) -> [score per round]
unit = None
for path in sys.argv[1:]:
    for b in json.load(open(path)):
        name = b["benchmark"].rsplit(".", 1)[1]
        params = b.get("params") or {}
        if params:
            name += "[" + ",".join(f"{k}={v}" for k, v in sorted(params.items())) + "]"
        scores[name].append(b["primaryMetric"]["score"])
        unit = b["primaryMetric"]["scoreUnit"]

pairs = [("Before", "Now"), ("Scalar", "Vector"), ("Before", "Vector")]
print(f"| pair | first ({unit}) per round | second ({unit}) per round | median second/first | min–max |")
print("|---|---|---|---:|---|")
for name in sorted(scores):
    for a, b in pairs:
        m = re.match(rf"(.*){a}(\[.*\])?$", name)
        if not m:
            continue
        other = m.group(1) + b + (m.group(2) or "")
        if other not in scores:
            continue
        xs, ys = scores[name], scores[other]
        ratios = [y / x for x, y in zip(xs, ys)]
        print(f"| {m.group(1)}{m.group(2) or ''} {a}/{b} | {', '.join(f'{v:.2f}' for v in xs)} | "
              f"{', '.join(f'{v:.2f}' for v in ys)} | {statistics.median(ratios):.3f} | {min(ratios):.3f}–{max(ratios):.3f} |")
