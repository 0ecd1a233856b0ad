"""Per configuration and jar: tokens/s of each round, the median, and the time per token outside the store's waits."""
import glob, json, re, statistics, sys

rows = {}
for f in sorted(glob.glob(sys.argv[1] + "/*.json")):
    v, b, r = re.match(r"(\w+)-(\w+)-r(\d+)\.json", f.split("/")[-1]).groups()
    j = json.load(open(f))
    tps = j["decode_tokens_per_s"]
    stall = sum(l["stall_ns"] for l in j.get("store_decode", {}).get("layers", [])) / 1e6 / j["decode_tokens"]
    rows.setdefault((b, v), []).append((tps, 1e3 / tps, stall))
for (b, v), xs in sorted(rows.items()):
    print(f"{b:7s} {v}: tok/s " + " ".join(f"{x[0]:6.1f}" for x in xs)
          + f" | median {statistics.median(x[0] for x in xs):6.1f} | outside-stall ms "
          + " ".join(f"{x[1] - x[2]:5.2f}" for x in xs) + " | stall ms " + " ".join(f"{x[2]:5.2f}" for x in xs))
