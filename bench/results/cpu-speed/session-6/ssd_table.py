# Prints the step-pins table: python3 ssd_table.py FOLDER (files V-MODE-I.json of strata bench --json)
import json, glob, os, re, sys
folder = sys.argv[1]
rows = {}
for f in sorted(glob.glob(f"{folder}/*.json")):
    v, mode, i = re.match(r"(\w+)-(\w+)-(\d+)\.json", os.path.basename(f)).groups()
    r = next(x for x in json.load(open(f))["rows"] if x["test"].startswith("tg"))
    st = r.get("store") or {}
    bound = r["ssd_bw_bytes_per_s"] / st["ssd_bytes_per_token"]
    rows.setdefault(mode, {}).setdefault(v, {})[int(i)] = (r["avg_ts"], bound, r["avg_ts"] / bound, st["stall_ms_per_token"])
print("| mode | pair | before: t/s, SSD bound, ratio, stall ms/token | after: t/s, SSD bound, ratio, stall ms/token | after / before (t/s) |")
print("|---|---|---|---|---|")
for mode, vs in rows.items():
    a, b = sorted(vs)
    for i in sorted(vs[a]):
        x, y = vs[a][i], vs[b][i]
        f = lambda t: f"{t[0]:.2f}, {t[1]:.2f}, {t[2]:.2f}, {t[3]:.1f}"
        print(f"| {mode} | {i} | {f(x)} | {f(y)} | {y[0] / x[0]:.2f} |")
