#!/usr/bin/env python3
"""Where the time of a Strata run goes, from a JFR recording (-XX:StartFlightRecording=...,settings=profile): the
execution samples of the engine's work grouped by the method they were taken in (the top frame), as a Markdown table.

    bench/jfr_summary.py RECORDING.jfr [--jfr PATH_TO_JFR_TOOL] [--top 10] [--json OUT]

Samples of start-up (command line, model loading) and of the bench's own bound measurement (Bounds, StreamRead) are left
out, so the shares are of the model's prefill and decode. A sample whose top frames are the Vector API's Java code
rather than a Strata method ran a kernel that C2 had not compiled (yet): those are counted apart, under the Strata
method that called them, because they mean the kernel ran boxed. The table says when the last of them was taken, in
seconds from the first sample kept: boxed samples that all fall early are the JIT's warm-up, not the steady state.
Standard library only."""
import argparse, collections, json, os, re, subprocess, sys

LEAVE_OUT = ("io.strata.compression.kernel.StreamRead", "io.strata.bench.suite.Bounds.", "io.strata.engine.api.ModelLoader", "StrataCli.commandLine",
             "BenchCommand.commandLine", "jdk.jfr.", "SegmentFactories.initNativeMemory", "SyntheticCheckpoint")
JDK_VECTOR = ("jdk.incubator.vector.", "jdk.internal.vm.vector.")


def seconds(stamp):
    """Seconds since midnight of a JFR startTime such as 04:12:33.123."""
    h, m, sec = stamp.split(":")
    return int(h) * 3600 + int(m) * 60 + float(sec)


def samples(jfr_tool, recording):
    """(time in seconds or None, frames top first) of each execution sample."""
    out = subprocess.run([jfr_tool, "print", "--events", "jdk.ExecutionSample", "--stack-depth", "64", recording],
                         check=True, capture_output=True, text=True).stdout
    last = None
    for event in out.split("jdk.ExecutionSample {")[1:]:
        m = re.search(r"stackTrace = \[\n(.*?)\n\s*\]", event, re.S)
        if not m:
            continue
        t = re.search(r"startTime = (\d+:\d+:[\d.]+)", event)
        now = seconds(t.group(1)) if t else None
        if now is not None and last is not None and now < last - 43200:
            now += 86400  # the recording crossed midnight
        last = now if now is not None else last
        frames = [l.strip().split("(")[0] for l in m.group(1).split("\n")]
        yield now, [f for f in frames if f and f != "..."]


def short(method):
    parts = method.split(".")
    return ".".join(parts[-2:]) if len(parts) >= 2 else method


def summarize(stacks):
    counts, boxed, kept, left = collections.Counter(), collections.Counter(), 0, 0
    attention = 0
    first = last = last_boxed = None
    for t, fr in stacks:
        if not fr or any(any(x in f for x in LEAVE_OUT) for f in fr):
            left += 1
            continue
        kept += 1
        if t is not None:
            first = t if first is None else min(first, t)
            last = t if last is None else max(last, t)
        if any(f.endswith("CpuBackend.attention") or f.endswith("MoeModel.attention") for f in fr):
            attention += 1
        top = fr[0]
        if top.startswith(JDK_VECTOR):
            caller = next((f for f in fr if f.startswith("io.strata")), top)
            boxed[short(caller)] += 1
            if t is not None:
                last_boxed = t if last_boxed is None else max(last_boxed, t)
        else:
            counts[short(top)] += 1
    span = None if first is None else last - first
    boxed_until = None if last_boxed is None or first is None else last_boxed - first
    return {"samples": kept, "left_out": left, "by_top_frame": counts, "vector_api_not_compiled": boxed, "in_attention": attention,
            "seconds_sampled": span, "last_boxed_after_seconds": boxed_until}


def table(s, top):
    n = max(1, s["samples"])
    rows = ["| share of samples | where (top frame) |", "|---|---|"]
    for m, c in s["by_top_frame"].most_common(top):
        rows.append(f"| {100.0 * c / n:.1f} % | `{m}` |")
    rest = sum(s["by_top_frame"].values()) - sum(c for _, c in s["by_top_frame"].most_common(top))
    if rest:
        rows.append(f"| {100.0 * rest / n:.1f} % | the other {len(s['by_top_frame']) - top} methods |")
    b = sum(s["vector_api_not_compiled"].values())
    if b:
        worst = ", ".join(f"`{m}` {100.0 * c / n:.1f} %" for m, c in s["vector_api_not_compiled"].most_common(3))
        when = ""
        if s["last_boxed_after_seconds"] is not None and s["seconds_sampled"]:
            when = (f"; the last of them {s['last_boxed_after_seconds']:.1f} s after the first sample kept, of"
                    f" {s['seconds_sampled']:.1f} s sampled")
        rows.append(f"| {100.0 * b / n:.1f} % | Vector API not yet compiled (boxed), called from {worst}{when} |")
    rows.append(f"\n{s['samples']} samples of prefill and decode ({s['left_out']} of start-up and bound measurement left out);"
                f" {100.0 * s['in_attention'] / n:.1f} % of them inside attention (anywhere in the stack).")
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("recording")
    ap.add_argument("--jfr", default=os.path.join(os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"), "bin", "jfr"))
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--json")
    a = ap.parse_args()
    s = summarize(samples(a.jfr, a.recording))
    print(table(s, a.top))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"recording": a.recording, "samples": s["samples"], "left_out": s["left_out"], "in_attention": s["in_attention"],
                       "by_top_frame": dict(s["by_top_frame"].most_common()),
                       "vector_api_not_compiled": dict(s["vector_api_not_compiled"].most_common()),
                       "seconds_sampled": s["seconds_sampled"], "last_boxed_after_seconds": s["last_boxed_after_seconds"]}, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
