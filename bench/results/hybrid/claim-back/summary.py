"""Predicted against measured decode tokens/s: each tiny-moe run beside the plan taken just before it, the OLMoE-shaped
plan beside each of its runs; with the stall per token the forecast gives against the runs' (store_decode)."""
import glob, json, os, statistics, sys

d = sys.argv[1]


def run(f):
    j = json.load(open(f))
    stall = sum(l["stall_ns"] for l in j.get("store_decode", {}).get("layers", [])) / 1e6 / j["decode_tokens"]
    return j["decode_tokens_per_s"], stall


def plan(f):
    j = json.load(open(f))
    return j["predictions"][0]["tokens_per_s"], j.get("probe_cpu_ms_per_token", float("nan"))


print("| store | host budget | run | probe ms/token | predicted tokens/s | measured tokens/s | measured stall ms/token"
      " | measured outside the stall ms/token | predicted / measured |")
print("|---|---|---|---|---|---|---|---|---|")
for b in ["2MiB", "7MiB"]:
    ratios = []
    for r in range(1, 6):
        pf, rf = f"{d}/tiny-{b}-plan{r}.json", f"{d}/tiny-{b}-run{r}.json"
        if not (os.path.exists(pf) and os.path.exists(rf)):
            continue
        (p, probe), (m, stall) = plan(pf), run(rf)
        ratios.append(p / m)
        print(f"| tiny-moe | {b} | {r} | {probe:.2f} | {p:.1f} | {m:.1f} | {stall:.2f} | {1e3 / m - stall:.2f} | {p / m:.2f} |")
    if ratios:
        print(f"| tiny-moe | {b} | median | | | | | | **{statistics.median(ratios):.2f}** |")
pf = f"{d}/olmoe-q-plan.json"
if os.path.exists(pf):
    p, probe = plan(pf)
    ms = []
    for r in range(1, 6):
        rf = f"{d}/olmoe-q-run{r}.json"
        if os.path.exists(rf):
            m, stall = run(rf)
            ms.append(m)
            print(f"| OLMoE-shaped | 3.2GB | {r} | {probe:.1f} | {p:.2f} | {m:.2f} | {stall:.1f} | {1e3 / m - stall:.1f} | {p / m:.2f} |")
    if ms:
        print(f"| OLMoE-shaped | 3.2GB | median | | {p:.2f} | {statistics.median(ms):.2f} | | | **{p / statistics.median(ms):.2f}** |")
