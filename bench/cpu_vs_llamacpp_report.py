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
    per_round = {g[0]: [] for g in goals}
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
                     "strata_ratio_to_bound": srow["ratio_to_bound"]}
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

    commands = open(f"{a.raw}/commands.txt").read().strip().splitlines()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    machine = f"{cpu}, {os.cpu_count()} cores (a VM shared with other work during the run unless stated otherwise)"
    doc = {"script": a.command, "llama_cpp_commit": a.commit, "llama_cpp_build_dir": a.llama, "llama_cpp_note": a.llama_note, "llama_bench": llama_meta,
           "machine": machine, "model": a.shape, "threads": a.threads, "rounds": a.rounds, "prompt_tokens": a.p, "gen_tokens": a.n,
           "seconds": a.seconds, "work_dir": a.work, "commands": commands, "goals": results,
           "startup": {"rounds": startup, "median_ms": startup_ms},
           "raw_files": sorted(os.path.relpath(p, a.out) for p in glob.glob(f"{a.raw}/round-*"))}
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
    L.append(f"Start-up: a cold `strata run` of models/tiny-moe to its first token (fresh JVM, wall clock from launch to exit):"
             f" median {startup_ms} ms over the rounds ({', '.join(str(x['startup_ms']) for x in startup)} ms). No target number was set.\n")
    ssd = next(g for g in results if g["id"] == "decode-ssd-bound")
    if ssd["rounds"] and ssd["rounds"][-1].get("store"):
        s = ssd["rounds"][-1]["store"]
        L.append(f"SSD-bound row, last round: host hit rate {s['host_hit_rate']:.2f}, {s['ssd_bytes_per_token'] / 1e6:.1f} MB read from the SSD"
                 f" and {s['bytes_moved_per_token'] / 1e6:.1f} MB moved per token, {s['stall_ms_per_token']:.1f} ms stall per token.\n")
    L.append("Commands (R = round; the raw files are under `cpu-vs-llama.cpp/`):\n")
    L.append("```")
    L.extend(commands)
    L.append("```")
    not_met = [g["id"] for g in results if g.get("met_ratio") is False or g.get("met_bound") is False]
    if not_met:
        profiles = sorted(os.path.basename(p) for p in glob.glob(f"{a.raw}/strata-*-hot-methods.txt"))
        L.append(f"\nGoals not met in this run: {', '.join(not_met)}. Where the time goes: "
                 + ("JFR profiles of Strata's decode (`jfr view hot-methods`): " + ", ".join(f"`cpu-vs-llama.cpp/{p}`" for p in profiles) + "."
                    if profiles else "run the script with --profile for a JFR of Strata's decode."))
    with open(f"{a.out}/cpu-vs-llama.cpp.md", "w") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    main()
