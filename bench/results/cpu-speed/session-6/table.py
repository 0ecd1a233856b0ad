# Prints the before/after table of one A/B folder: python3 table.py FOLDER BEFORE AFTER
import json, glob, os, re, sys
folder, a, b = sys.argv[1:4]
cases = {}
for f in sorted(glob.glob(f"{folder}/*.json")):
    m = re.match(r"(\w+)-(.+)-r(\d+)\.json", os.path.basename(f))
    v, case, r = m.groups()
    cases.setdefault(case, {}).setdefault(v, {})[int(r)] = json.load(open(f))["gmac_per_s_median"]
print(f"| case | {a} | {b} | {b} / {a} per round |\n|---|---|---|---|")
for case, vs in cases.items():
    rs = sorted(vs[a])
    fa = ", ".join(f"{vs[a][r]:.2f}" for r in rs)
    fb = ", ".join(f"{vs[b][r]:.2f}" for r in rs)
    q = ", ".join(f"{vs[b][r] / vs[a][r]:.2f}" for r in rs)
    print(f"| {case} | {fa} | {fb} | {q} |")
