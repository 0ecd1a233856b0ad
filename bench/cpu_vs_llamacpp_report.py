#!/usr/bin/env python3
"""The report of bench/cpu-vs-llamacpp.sh: reads its per-round raw files (strata bench --json, llama-bench -o json,
the start-up timings) and writes cpu-vs-llama.cpp.md and cpu-vs-llama.cpp.json: for every goal, the per-round
numbers of both engines, the per-round ratio, the median ratio over the rounds and whether the goal is met.
Standard library only."""
import argparse, glob, json, os, platform, statistics, subprocess


def load_json(path):
    with open(path) as f:
        return json.load(f)


def strata_row(rows, model_suffix, test):
    """The row of a strata bench run whose model (as given on -m) ends with model_suffix, for test (pp32, tg32)."""
    for r in rows:
        if r["model"].rstrip("/").endswith(model_suffix) and r["test"] == test:
            return r
    raise KeyError(f"strata bench: no row for model *{model_suffix} test {test}")


def llama_row(rows, gguf, test):
    """The llama-bench result for a GGUF file name and test (ppN: n_prompt N, n_gen 0; tgN: the reverse)."""
    kind, n = test[:2], int(test[2:])
    for r in rows:
        if os.path.basename(r["model_filename"]) != gguf:
            continue
        if (kind == "pp" and r["n_prompt"] == n and r["n_gen"] == 0) or (kind == "tg" and r["n_gen"] == n and r["n_prompt"] == 0):
            return r
    raise KeyError(f"llama-bench: no result for {gguf} {test}")

# The configuration (JFR recording of --profile) behind each goal's Strata side.
PROFILE_OF = {"decode-bf16": "olmoe-hf-decode", "prefill-bf16": "olmoe-hf-prefill", "decode-int4": "olmoe-int4-all-decode",
              "prefill-int4": "olmoe-int4-all-prefill", "decode-int8": "olmoe-int8-all-decode", "prefill-int8": "olmoe-int8-all-prefill",
              "decode-store-vs-checkpoint": "olmoe-bf16-decode", "decode-store-vs-llama": "olmoe-bf16-decode",
              "decode-ssd-bound": "olmoe-bf16-ssd-decode", "decode-ssd-bound-prefetch": "olmoe-bf16-ssdpf-decode"}
# Rows of the cached and the memory-sized matrix per layout: bf16 from L2 (from L3 its rate is the cache's read rate,
# not its compute rate), the quantized kernels from L3 (compute-bound there, far below the read rate of the cache).
KERNEL_ROWS = {"read": (2048, 150000), "bf16": (256, 150000), "int8": (4096, 300000), "int4": (4096, 600000)}


def best_gb(k):
    """The fastest round of a KernelRateMain run in GB/s of weights: the host's disturbances only slow a round down."""
    return k["weight_gb_per_s_median"] / k["gmac_per_s_median"] * max(k["gmac_per_s_per_round"])


def kernel_rates(raw):
    """{layout: {"cache": GB/s, "memory": GB/s}} of weights on one thread (fastest round of all passes), from the --profile kernel runs (empty without)."""
    out = {}
    for layout, (cache_rows, mem_rows) in KERNEL_ROWS.items():
        c, m = glob.glob(f"{raw}/kernel-{layout}-{cache_rows}-*.json"), glob.glob(f"{raw}/kernel-{layout}-{mem_rows}-*.json")
        if c and m:
            out[layout] = {"cache": max(best_gb(load_json(p)) for p in c), "memory": max(best_gb(load_json(p)) for p in m)}
    return out


def isa_rates(raw):
    """{rows: {loop: GB/s}} of the C loops of bench/isa/isa_bound.c (fastest of the passes; empty when not run)."""
    out = {}
    for path in glob.glob(f"{raw}/isa-*.json"):
        try:
            d = load_json(path)
        except (OSError, ValueError):
            continue
        rates = out.setdefault(d["rows"], {})
        for r in d["results"]:
            rates[r["loop"]] = max(rates.get(r["loop"], 0.0), r["gb_per_s"])
    return out


def isa_section(raw, k, f2):
    """The same one-token loops in C, fma against the dot-product instructions, beside Strata's kernels (k)."""
    isa = isa_rates(raw)
    cache, mem = isa.get(4096), isa.get(131072)
    if not cache or not mem:
        return []
    L = ["\n### The same loops in C: fma against the dot-product instructions\n",
         "GB/s of weights of one-token loops over [rows, 2048], four rows at a time, one thread, written two ways in C"
         " (`bench/isa/isa_bound.c`, `isa-*.json`, the fastest of two passes): codes converted to floats and multiplied with"
         " fma (what JDK 25's Vector API can express, and what Strata's kernels do), and the dot-product instructions"
         " `vpdpbusd` (int8 codes, x quantized to int8 per group of 64) and `vdpbf16ps` (x rounded to bf16), as llama.cpp"
         f" does. From L3 ([4096, 2048]) and from memory ([131072, 2048]); the C loop's plain read from memory ran at {f2(mem.get('read'))} GB/s."
         " Strata's columns repeat the table above (bf16 from L2).\n",
         "| format | C fma, L3 | C dot, L3 | dot / fma, L3 | C fma, memory | C dot, memory | dot / fma, memory | Strata, cache | Strata, memory | Strata / C fma, memory |",
         "|---|---|---|---|---|---|---|---|---|---|"]
    names = {"bf16": ("bf16 fma", "bf16 dot (vdpbf16ps)"), "int8": ("int8 fma", "int8 dot (vpdpbusd)"), "int4": ("int4 fma", "int4 dot (vpdpbusd)")}
    for fmt, (fl, dl) in names.items():
        cf, cd, mf, md = cache.get(fl), cache.get(dl), mem.get(fl), mem.get(dl)
        if None in (cf, cd, mf, md):
            continue
        sc, sm = (k.get(fmt) or {}).get("cache"), (k.get(fmt) or {}).get("memory")
        L.append(f"| {fmt} | {f2(cf)} | {f2(cd)} | {f2(cd / cf)} | {f2(mf)} | {f2(md)} | {f2(md / mf)} | {f2(sc)} | {f2(sm)} | {f2(sm / mf if sm else None)} |")
    return L


def why_not_met(raw, not_met, f2):
    """The report's account of each goal not met: the one-thread kernel rates (once) and each goal's profile."""
    L = []
    k = kernel_rates(raw)
    if "read" in k and len(k) > 1:
        rm = k["read"]["memory"]
        L.append("\n### The kernels on one thread, from a cache and from memory\n")
        L.append(f"GB/s of weights streamed by one shipped kernel call over a [rows, 2048] matrix, one token, one thread, the fastest of the 7 rounds of each of two passes"
                 f" (`KernelRateMain`, `kernel-*.json`): from the cache (bf16 [256, 2048] from L2, int8 and int4 [4096, 2048] from L3:"
                 f" the kernel's compute rate) and from memory; a plain vector read of the same bytes runs at {f2(rm)} GB/s from memory"
                 f" ({f2(k['read']['cache'])} from the cache).\n")
        L.append("| kernel | from the cache | from memory | compute, then read: 1 / (1/cache + 1/read) | memory within 15 % of that |")
        L.append("|---|---|---|---|---|")
        fits = {}
        for layout in ("bf16", "int8", "int4"):
            if layout not in k:
                continue
            c, m = k[layout]["cache"], k[layout]["memory"]
            serial = 1 / (1 / c + 1 / rm)
            fits[layout] = abs(serial - m) / m <= 0.15
            L.append(f"| {layout} | {f2(c)} | {f2(m)} | {f2(serial)} | {'yes' if fits[layout] else 'no'} |")
        quant = [l for l in ("int8", "int4") if fits.get(l)]
        if quant:
            L.append(f"\nFrom memory, {' and '.join(quant)} run at the rate their compute and a plain read give one after the other:"
                     " this core does not overlap the two for these loops, so such a kernel nears the memory bound only if its compute"
                     " rate is far above the read rate. These kernels convert codes to floats and multiply them with fma, 16"
                     " multiply-adds an instruction at 512 bits; llama.cpp's Q4_0 and Q8_0 kernels multiply int8 with `vpdpbusd`, 64"
                     " an instruction, which the Vector API does not offer.")
        else:
            L.append("\nIn this run no quantized kernel ran from memory at the rate of compute and read one after the other (within 15 %).")
        L.extend(isa_section(raw, k, f2))
    for g in not_met:
        name = PROFILE_OF.get(g["id"])
        L.append(f"\n### Why not met: {g['goal']}\n")
        if g["id"].startswith("decode-ssd-bound"):
            rs = g["rounds"]
            L.append("Per round: SSD bound " + ", ".join(f2(x.get("strata_bound_ts")) for x in rs) + " tokens/s, decode "
                     + ", ".join(f2(x["strata_ts"]) for x in rs) + " tokens/s, stall "
                     + ", ".join(f2((x.get("store") or {}).get("stall_ms_per_token")) for x in rs) + " ms a token, fast-tier hit rate"
                     " (on the CPU the host budget is the fast tier) "
                     + ", ".join(f2((x.get("store") or {}).get("fast_hit_rate")) for x in rs) + ".")
            pf = [(x.get("store") or {}).get("prefetch") for x in rs]
            if any(pf):
                L.append("Prefetch hints per round, useful (of them late) / issued: "
                         + ", ".join(f"{p['useful']} ({p['late']}) / {p['issued']}" if p else "-" for p in pf) + ".")
            L.append("")
        elif g.get("median_ratio_to_bound") is not None:
            L.append(f"Strata reached {f2(g['median_ratio_to_bound'])} of its {g.get('bound', '')} bound (median).\n")
        path = f"{raw}/profile-{name}.md" if name else None
        if path and os.path.exists(path):
            L.append(f"Where Strata's time goes (JFR, `cpu-vs-llama.cpp/profile-{name}.md`):\n")
            L.append(open(path).read().strip())
        else:
            L.append("No profile in this run (the script's --profile records one).")
    return L


def cpu_description():
    """The CPU's name, family and model from /proc/cpuinfo (a name alone such as "Intel(R) Xeon(R) Processor" does not say
    which), and its last-level cache from sysfs when the machine exposes it."""
    info = {}
    try:
        for line in open("/proc/cpuinfo"):
            if ":" in line:
                k, v = (x.strip() for x in line.split(":", 1))
                info.setdefault(k, v)
    except OSError:
        pass
    text = info.get("model name") or platform.processor() or "unknown CPU"
    if "cpu family" in info and "model" in info:
        text += f" (CPU family {info['cpu family']}, model {info['model']})"
    best = None
    for d in glob.glob("/sys/devices/system/cpu/cpu0/cache/index*"):
        try:
            level, size = int(open(f"{d}/level").read()), open(f"{d}/size").read().strip()
        except (OSError, ValueError):
            continue
        if best is None or level > best[0]:
            best = (level, size)
    text += f", L{best[0]} cache {best[1]} (sysfs)" if best else ", no cache sizes in sysfs"
    return text


ONE_STATE = 1.25  # four bandwidth probes of a round within this factor: one memory state


def main():
    ap = argparse.ArgumentParser()
    for a in ("raw", "out", "commit", "llama", "command", "work", "llama-note", "shape", "host-share"):
        ap.add_argument("--" + a, required=True)
    for a in ("rounds", "threads", "p", "n", "seconds"):
        ap.add_argument("--" + a, type=int, required=True)
    a = ap.parse_args()
    pp, tg = f"pp{a.p}", f"tg{a.n}"
    O = "olmoe-hf"
    # (id, goal, Strata side, peer side, target, bound goal): a side is ("strata", model suffix, test, file kind),
    # ("llama", gguf, test) or None. A bound goal is the share of its own bound the Strata side must reach.
    goals = [
        ("decode-bf16", "decode, bf16 checkpoint folder vs llama.cpp bf16", ("strata", O, tg, "main"), ("llama", "olmoe-bf16.gguf", tg), 1.0, None),
        ("prefill-bf16", f"prefill ({a.p}-token prompt), bf16 checkpoint vs llama.cpp bf16", ("strata", O, pp, "main"), ("llama", "olmoe-bf16.gguf", pp), 1.0, None),
        # The quantized goals compare like with like: llama.cpp's Q4_0/Q8_0 files quantize attention, the embedding and
        # the output head too (Q4_0's head is Q6_K), so the Strata stores here are packed with --dense (head int8).
        ("decode-int4", "decode, Strata int4 store (--dense int4, head int8) vs llama.cpp Q4_0", ("strata", "olmoe-int4-all", tg, "main"),
         ("llama", "olmoe-Q4_0.gguf", tg), 1.0, 0.8),
        ("prefill-int4", "prefill, int4 (--dense int4) vs Q4_0", ("strata", "olmoe-int4-all", pp, "main"), ("llama", "olmoe-Q4_0.gguf", pp), 1.0, None),
        ("decode-int8", "decode, Strata int8 store (--dense int8) vs llama.cpp Q8_0", ("strata", "olmoe-int8-all", tg, "main"),
         ("llama", "olmoe-Q8_0.gguf", tg), 1.0, 0.8),
        ("prefill-int8", "prefill, int8 (--dense int8) vs Q8_0", ("strata", "olmoe-int8-all", pp, "main"), ("llama", "olmoe-Q8_0.gguf", pp), 1.0, None),
        # Context, not goals: stores with bf16 dense weights (the default) against llama.cpp with the same split (experts
        # quantized; attention, embeddings and the output head bf16), so both stream the same bytes per token.
        ("decode-int4-same-split", "context: decode, int4 store (dense weights bf16) vs llama.cpp with experts Q4_0 and the rest bf16",
         ("strata", "olmoe-int4", tg, "main"), ("llama", "olmoe-Q4_0-xbf16.gguf", tg), None, None),
        ("decode-int8-same-split", "context: decode, int8 store (dense weights bf16) vs llama.cpp with experts Q8_0 and the rest bf16",
         ("strata", "olmoe-int8", tg, "main"), ("llama", "olmoe-Q8_0-xbf16.gguf", tg), None, None),
        ("prefill-int4-same-split", "context: prefill, int4 store (dense weights bf16) vs llama.cpp experts Q4_0, the rest bf16",
         ("strata", "olmoe-int4", pp, "main"), ("llama", "olmoe-Q4_0-xbf16.gguf", pp), None, None),
        ("decode-store-vs-checkpoint", "decode, bf16 store with every expert in the host budget vs the checkpoint it was packed from",
         ("strata", "olmoe-bf16", tg, "main"), ("strata", O, tg, "main"), 0.95, None),
        ("decode-store-vs-llama", "decode, bf16 store with every expert in the host budget vs llama.cpp bf16",
         ("strata", "olmoe-bf16", tg, "main"), ("llama", "olmoe-bf16.gguf", tg), 1.0, None),
        ("decode-tiny-moe", "decode, tiny-moe (6 layers, hidden 256) vs llama.cpp", ("strata", "tiny-moe", tg, "main"), ("llama", "tiny-bf16.gguf", tg), 0.8, None),
        ("prefill-tiny-moe", "prefill, tiny-moe vs llama.cpp", ("strata", "tiny-moe", pp, "main"), ("llama", "tiny-bf16.gguf", pp), 1.0, None),
        ("decode-ssd-bound", f"SSD-bound decode: bf16 store, host budget {a.host_share} of the experts (LRU), vs the SSD bound of the same run",
         ("strata", "olmoe-bf16", tg, "ssd"), None, None, 0.8),
        ("decode-ssd-bound-prefetch", f"SSD-bound decode as above with --prefetch lookahead (the next layer's reads queued during this one)",
         ("strata", "olmoe-bf16", tg, "ssdpf"), None, None, 0.8),
    ]
    # cpu-vs-llamacpp.sh makes the experts-only files (-xbf16.gguf) only with a llama-quantize that has --tensor-type:
    # without them llama-bench has no rows for their goals, which are left out and said so. Any other missing file
    # still fails the report below.
    have = {os.path.basename(r["model_filename"]) for r in load_json(f"{a.raw}/round-1-llama.json")}
    left_out = [g for g in goals if g[3] is not None and g[3][0] == "llama" and g[3][1].endswith("-xbf16.gguf") and g[3][1] not in have]
    goals = [g for g in goals if g not in left_out]
    per_round = {g[0]: [] for g in goals}
    membw = []  # per round: the memory's read bandwidth (GB/s) before and after each side's run, where measured
    startup = []
    llama_meta = None
    for r in range(1, a.rounds + 1):
        main_rows = load_json(f"{a.raw}/round-{r}-strata.json")["rows"]
        ssd_rows = load_json(f"{a.raw}/round-{r}-strata-ssd.json")["rows"]
        ssdpf_rows = load_json(f"{a.raw}/round-{r}-strata-ssdpf.json")["rows"]
        lrows = load_json(f"{a.raw}/round-{r}-llama.json")
        llama_meta = llama_meta or {k: lrows[0].get(k) for k in ("build_commit", "build_number", "cpu_info", "backends", "n_threads")}
        for gid, _, s, peer, target, bound_goal in goals:
            srow = strata_row({"main": main_rows, "ssd": ssd_rows, "ssdpf": ssdpf_rows}[s[3]], s[1], s[2])
            entry = {"round": r, "strata_ts": srow["avg_ts"], "strata_bound": srow["bound"], "strata_bound_ts": srow["bound_ts"],
                     "strata_ratio_to_bound": srow["ratio_to_bound"], "strata_huge_page_share": srow.get("huge_page_share")}
            if gid.startswith("decode-ssd-bound"):
                # judged against the SSD bound itself (SSD bandwidth over SSD bytes per token), whichever bound the row named
                st = srow.get("store") or {}
                per_tok, bw = st.get("ssd_bytes_per_token"), srow.get("ssd_bw_bytes_per_s")
                if per_tok and bw:
                    entry["strata_bound"] = "ssd" + (" (binding)" if srow["bound"].startswith("ssd") else " (not binding: " + srow["bound"] + ")")
                    entry["strata_bound_ts"] = bw / per_tok
                    entry["strata_ratio_to_bound"] = srow["avg_ts"] / entry["strata_bound_ts"]
                else:
                    entry["strata_bound"] = "ssd (no SSD reads: not SSD-bound)"
                    entry["strata_ratio_to_bound"] = None
            if srow.get("store"):
                entry["store"] = srow["store"]
            if peer is not None and peer[0] == "llama":
                lr = llama_row(lrows, peer[1], peer[2])
                entry["peer_ts"] = lr["avg_ts"]
            elif peer is not None:
                entry["peer_ts"] = strata_row(main_rows, peer[1], peer[2])["avg_ts"]
            if "peer_ts" in entry:
                entry["ratio"] = entry["strata_ts"] / entry["peer_ts"] if entry["peer_ts"] else None
            per_round[gid].append(entry)
        bw = {}
        for side in ("strata", "llama"):
            for when in ("before", "after"):
                f = f"{a.raw}/round-{r}-membw-{side}-{when}.json"
                if os.path.exists(f):
                    bw[f"{side}_{when}"] = load_json(f)["weight_gb_per_s_median"]
        membw.append(bw)
        st = load_json(f"{a.raw}/round-{r}-startup.json")
        run = f"{a.raw}/round-{r}-startup-run.json"
        if os.path.exists(run):
            rj = load_json(run)
            st["ttft_ms_in_process"] = rj.get("ttft_ms") or rj.get("time_to_first_token_ms")
        startup.append(st)

    def med(xs):
        xs = [x for x in xs if x is not None]
        return statistics.median(xs) if xs else None

    results = []
    for gid, text, s, peer, target, bound_goal in goals:
        rs = per_round[gid]
        g = {"id": gid, "goal": text, "rounds": rs, "median_strata_ts": med([x["strata_ts"] for x in rs])}
        if peer is not None:
            g["peer"] = "llama.cpp " + peer[1] if peer[0] == "llama" else "Strata " + peer[1]
            g["median_peer_ts"] = med([x.get("peer_ts") for x in rs])
            g["median_ratio"] = med([x.get("ratio") for x in rs])
            g["target_ratio"] = target
            if target is not None:
                g["met_ratio"] = g["median_ratio"] is not None and g["median_ratio"] >= target
        if bound_goal is not None:
            g["median_ratio_to_bound"] = med([x["strata_ratio_to_bound"] for x in rs])
            g["bound"] = rs[-1]["strata_bound"]
            g["target_ratio_to_bound"] = bound_goal
            want = "ssd" if gid.startswith("decode-ssd-bound") else "memory"
            g["bound_kind"] = want
            g["met_bound"] = (g["median_ratio_to_bound"] is not None and g["median_ratio_to_bound"] >= bound_goal
                              and g["bound"].startswith(want))
        results.append(g)
    startup_ms = med([x["startup_ms"] for x in startup])
    # Rounds whose four bandwidth probes agree within ONE_STATE: both sides ran with the memory in one state. The decode
    # goals' medians over those rounds alone are context: the goals are judged on every round, as above.
    one_state = [len(b) == 4 and max(b.values()) <= ONE_STATE * min(b.values()) for b in membw]
    for g in results:
        if g["id"].startswith("decode") and g.get("peer", "").startswith("llama.cpp") and any(one_state):
            xs = [x.get("ratio") for x, ok in zip(g["rounds"], one_state) if ok]
            g["one_state_rounds"] = [x["round"] for x, ok in zip(g["rounds"], one_state) if ok]
            g["median_ratio_one_state"] = med(xs)

    commands = open(f"{a.raw}/commands.txt").read().strip().splitlines()
    pc_file = f"{a.raw}/page-cache.json"
    page_cache = load_json(pc_file) if os.path.exists(pc_file) else None
    machine = f"{cpu_description()}, {os.cpu_count()} cores (a VM shared with other work during the run unless stated otherwise)"
    doc = {"script": a.command, "llama_cpp_commit": a.commit, "llama_cpp_build_dir": a.llama, "llama_cpp_note": a.llama_note, "llama_bench": llama_meta,
           "machine": machine, "model": a.shape, "threads": a.threads, "rounds": a.rounds, "prompt_tokens": a.p, "gen_tokens": a.n,
           "seconds": a.seconds, "work_dir": a.work, "commands": commands, "goals": results,
           "left_out": [{"id": g[0], "goal": g[1], "why": f"no llama-bench result for {g[3][1]}: this llama.cpp build's llama-quantize could not make it (no --tensor-type)"} for g in left_out],
           "startup": {"rounds": startup, "median_ms": startup_ms}, "page_cache": page_cache,
           "memory_bandwidth_gb_per_s": {"rounds": membw, "one_state": one_state, "one_state_within": ONE_STATE},
           "kernel_rates": kernel_rates(a.raw), "isa_rates": isa_rates(a.raw),
           "profiles": {os.path.basename(p)[len("profile-"):-len(".json")]: load_json(p) for p in sorted(glob.glob(f"{a.raw}/profile-*.json"))},
           "raw_files": sorted(os.path.relpath(p, a.out) for p in glob.glob(f"{a.raw}/round-*") + glob.glob(f"{a.raw}/kernel-*") + glob.glob(f"{a.raw}/isa-*")
                               + glob.glob(f"{a.raw}/profile-*"))}
    with open(f"{a.out}/cpu-vs-llama.cpp.json", "w") as f:
        json.dump(doc, f, indent=2)

    def f2(x):
        return "-" if x is None else f"{x:.2f}"

    L = []
    L.append("# Strata vs llama.cpp on the CPU, same weights, interleaved rounds\n")
    L.append(f"Made by `{a.command}` ({a.seconds // 60} min {a.seconds % 60} s). llama.cpp commit `{a.commit}`"
             f" (llama-bench build {llama_meta.get('build_commit') if llama_meta else '?'}; {a.llama_note}), {a.threads} threads on both sides.")
    L.append(f"Models: {a.shape}; models/tiny-moe (6 layers, hidden 256, 8 experts, top-2, bf16).")
    load = open("/proc/loadavg").read().split()[:3]
    L.append(f"Load average when the report was written (1, 5, 15 min): {', '.join(load)} on {os.cpu_count()} cores.")
    if "--quick" in a.command:
        L.append("\n**A --quick check of the script on a busy machine, not the goal figures**: one layer of 16 experts instead of"
                 " four of 64 (the active weights then nearly fit the last-level cache, so no memory bound binds), 16-token tests,"
                 " three warm-up rounds, two rounds. The goal figures come from the full run on a quiet machine.\n")
    L.append(f"Machine: {machine}. Tests: prefill pp{a.p}, decode tg{a.n}; {a.rounds} rounds, each one `strata bench -r 1` and one"
             f" `llama-bench -r 1` per model, the order alternating by round. Ratios are Strata / peer per round; the goal is judged on their median.\n")
    for g in left_out:
        L.append(f"Left out: {g[1]}. This llama.cpp build's llama-quantize has no `--tensor-type`, so `{g[3][1]}` was not made.\n")
    L.append("| goal | target | median ratio | met | Strata t/s per round | peer t/s per round | ratio per round | Strata vs its own bound (median) |")
    L.append("|---|---|---|---|---|---|---|---|")
    for g in results:
        rs = g["rounds"]
        st = ", ".join(f2(x["strata_ts"]) for x in rs)
        pt = ", ".join(f2(x.get("peer_ts")) for x in rs) if "peer" in g else "-"
        rt = ", ".join(f2(x.get("ratio")) for x in rs) if "peer" in g else "-"
        tgt, mr, met = [], [], []
        if "peer" in g and g["target_ratio"] is None:
            tgt.append(f"none (context) x {g['peer']}")
            mr.append(f2(g["median_ratio"]))
            met.append("-")
        elif "peer" in g:
            tgt.append(f">= {g['target_ratio']} x {g['peer']}")
            mr.append(f2(g["median_ratio"]))
            met.append("yes" if g["met_ratio"] else "**no**")
        if "target_ratio_to_bound" in g:
            tgt.append(f">= {g['target_ratio_to_bound']} of the {g['bound_kind']} bound")
            met.append("yes" if g["met_bound"] else "**no**")
        bnd = f"{f2(g.get('median_ratio_to_bound', med([x['strata_ratio_to_bound'] for x in rs])))} ({rs[-1]['strata_bound']})"
        L.append(f"| {g['goal']} | {'; '.join(tgt)} | {', '.join(mr) or '-'} | {', '.join(met)} | {st} | {pt} | {rt} | {bnd} |")
    L.append("")
    if any(membw):
        cells = [f"round {i + 1}: " + ", ".join(f"{k.replace('_', ' ')} {v:.1f}" for k, v in b.items()) + (" (one state)" if ok else "")
                 for i, (b, ok) in enumerate(zip(membw, one_state))]
        L.append(f"Memory read bandwidth right before and after each side's run (GB/s, two threads, `round-R-membw-*.json`); a round"
                 f" whose four agree within {ONE_STATE:.2f}x had both sides with the memory in one state: {'; '.join(cells)}.\n")
        ctx = [f"{g['goal']}: {f2(g['median_ratio_one_state'])} over rounds {', '.join(map(str, g['one_state_rounds']))}"
               for g in results if "median_ratio_one_state" in g]
        if ctx:
            L.append("Decode goals over those rounds alone (context; the goals are judged on every round): " + "; ".join(ctx) + ".\n")
    L.append(f"Start-up: a cold `strata run` of models/tiny-moe to its first token (fresh JVM, wall clock from launch to exit):"
             f" median {startup_ms} ms over the rounds ({', '.join(str(x['startup_ms']) for x in startup)} ms). No target number was set.\n")
    if page_cache:
        L.append("Mapped weight files, read through once in order before the rounds, share in 2 MiB pages (`page-cache.txt`;"
                 " weights read faster in them): " + ", ".join(f"{'/'.join(x['file'].split('/')[-2:])} {100 * x['share']:.0f} %" for x in page_cache) + ".\n")
    shares = {g["id"]: g["rounds"][-1].get("strata_huge_page_share") for g in results if g["rounds"] and g["id"].startswith("decode")}
    if any(v is not None for v in shares.values()):
        L.append("Strata's resident memory in 2 MiB pages, last round (its weights, the bound's buffer and the rest of the JVM): "
                 + ", ".join(f"{k} {100 * v:.0f} %" for k, v in shares.items() if v is not None) + ".\n")
    ssd = next(g for g in results if g["id"] == "decode-ssd-bound")
    if ssd["rounds"] and ssd["rounds"][-1].get("store"):
        s = ssd["rounds"][-1]["store"]
        L.append(f"SSD-bound row, last round: fast-tier hit rate {s['fast_hit_rate']:.2f} (on the CPU the host budget is the fast tier), {s['ssd_bytes_per_token'] / 1e6:.1f} MB read from the SSD"
                 f" and {s['bytes_moved_per_token'] / 1e6:.1f} MB moved per token, {s['stall_ms_per_token']:.1f} ms stall per token.\n")
    L.append("Commands (R = round; the raw files are under `cpu-vs-llama.cpp/`):\n")
    L.append("```")
    L.extend(commands)
    L.append("```")
    not_met = [g for g in results if g.get("met_ratio") is False or g.get("met_bound") is False]
    if not_met:
        L.append(f"\nGoals not met in this run: {', '.join(g['id'] for g in not_met)}.")
        L.extend(why_not_met(a.raw, not_met, f2))
    with open(f"{a.out}/cpu-vs-llama.cpp.md", "w") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    main()
