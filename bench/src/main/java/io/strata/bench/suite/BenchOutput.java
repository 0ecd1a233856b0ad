// The suite's rows as llama-bench prints them (a Markdown table by default), or as CSV, JSON or JSON lines.
package io.strata.bench.suite;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

public final class BenchOutput {
    private BenchOutput() {}

    /** The formats of {@code -o}. */
    public static final List<String> FORMATS = List.of("md", "csv", "json", "jsonl");

    /**
     * The rows in a format.
     *
     * @param meta fields of the whole run (machine, command, bounds) for json; ignored by the other formats
     */
    public static String format(String fmt, List<BenchSuite.Row> rows, ObjectNode meta) {
        return switch (fmt) {
            case "md" -> markdown(rows);
            case "csv" -> csv(rows);
            case "json" -> json(rows, meta);
            case "jsonl" -> jsonl(rows);
            default -> throw new IllegalArgumentException("-o: expected one of " + FORMATS + ", found '" + fmt + "'");
        };
    }

    static String markdown(List<BenchSuite.Row> rows) {
        boolean tiered = rows.stream().anyMatch(r -> r.fastHitRate() != null);
        List<String> head = new ArrayList<>(List.of("model", "size", "params", "codec", "backend", "threads"));
        if (tiered) head.addAll(List.of("host budget", "policy", "prefetch"));
        head.addAll(List.of("test", "t/s", "bound t/s", "of bound"));
        if (tiered) head.addAll(List.of("served w/o SSD", "MB moved/tok", "stall ms/tok"));
        boolean prefetched = rows.stream().anyMatch(r -> r.prefetchStats() != null);
        if (prefetched) head.add("prefetch useful (late) / issued");
        StringBuilder b = new StringBuilder();
        b.append("| ").append(String.join(" | ", head)).append(" |\n");
        b.append("|").append("---|".repeat(head.size())).append('\n');
        for (BenchSuite.Row r : rows) {
            List<String> c = new ArrayList<>(List.of(r.model(), gib(r.sizeBytes()), millions(r.params()), r.codec(), r.backend(), Integer.toString(r.threads())));
            if (tiered) c.addAll(List.of(r.hostBudget(), r.policy(), r.prefetch()));
            c.add(r.test());
            c.add(String.format(Locale.ROOT, "%.2f ± %.2f", r.mean(), r.stddev()));
            c.add(Double.isNaN(r.boundTps()) ? "-" : String.format(Locale.ROOT, "%.2f (%s)", r.boundTps(), r.bound()));
            c.add(Double.isNaN(r.ratio()) ? "-" : String.format(Locale.ROOT, "%.2f", r.ratio()));
            if (tiered) {
                c.add(r.hostHitRate() == null ? "-" : String.format(Locale.ROOT, "%.1f %%", 100 * hostServed(r)));
                c.add(r.bytesMovedPerToken() == null ? "-" : String.format(Locale.ROOT, "%.2f", r.bytesMovedPerToken() / 1e6));
                c.add(r.stallMsPerToken() == null ? "-" : String.format(Locale.ROOT, "%.2f", r.stallMsPerToken()));
            }
            if (prefetched) {
                BenchSuite.Prefetch p = r.prefetchStats();
                c.add(p == null ? "-" : p.useful() + " (" + p.late() + ") / " + p.issued());
            }
            b.append("| ").append(String.join(" | ", c)).append(" |\n");
        }
        return b.toString();
    }

    /** Share of acquires served without an SSD read (fast or host tier). */
    private static double hostServed(BenchSuite.Row r) {
        double fast = r.fastHitRate(), host = r.hostHitRate();
        return fast + (1 - fast) * host;
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }

    private static String millions(long n) {
        return n >= 1_000_000_000L ? String.format(Locale.ROOT, "%.2f B", n / 1e9) : String.format(Locale.ROOT, "%.1f M", n / 1e6);
    }

    static final List<String> CSV_COLUMNS = List.of("model", "path", "arch", "size_bytes", "params", "codec", "backend", "threads", "host_budget",
            "host_budget_bytes", "policy", "prefetch", "test", "n_prompt", "n_gen", "reps", "avg_ts", "stddev_ts", "samples_ts", "warmup_steady",
            "active_bytes_per_token", "memory_bw", "ssd_bw", "ssd_direct", "bound", "bound_ts", "ratio_to_bound", "fast_hit_rate", "host_hit_rate",
            "ssd_bytes_per_token", "bytes_moved_per_token", "stall_ms_per_token", "prefetch_issued", "prefetch_useful", "prefetch_late",
            "prefetch_cancelled", "prefetch_dropped");

    static String csv(List<BenchSuite.Row> rows) {
        StringBuilder b = new StringBuilder(String.join(",", CSV_COLUMNS)).append('\n');
        for (BenchSuite.Row r : rows) {
            StringBuilder s = new StringBuilder();
            for (double x : r.samples()) s.append(s.isEmpty() ? "" : ";").append(num(x));
            List<String> c = List.of(quote(r.model()), quote(r.path()), r.arch(), Long.toString(r.sizeBytes()), Long.toString(r.params()), r.codec(),
                    r.backend(), Integer.toString(r.threads()), quote(r.hostBudget()), str(r.hostBudgetBytes()), r.policy(), r.prefetch(), r.test(),
                    Integer.toString(r.nPrompt()), Integer.toString(r.nGen()), Integer.toString(r.samples().length), num(r.mean()), num(r.stddev()),
                    s.toString(), Boolean.toString(r.warmupSteady()), Long.toString(r.activeBytesPerToken()), num(r.memoryBw()), num(r.ssdBw()),
                    str(r.ssdDirect()), quote(r.bound()), num(r.boundTps()), num(r.ratio()), str(r.fastHitRate()), str(r.hostHitRate()),
                    str(r.ssdBytesPerToken()), str(r.bytesMovedPerToken()), str(r.stallMsPerToken()));
            b.append(String.join(",", c)).append(',').append(prefetchCsv(r.prefetchStats())).append('\n');
        }
        return b.toString();
    }

    /** The five prefetch columns (issued, useful, late, cancelled, dropped), empty without prefetch. */
    private static String prefetchCsv(BenchSuite.Prefetch p) {
        if (p == null) return ",,,,";
        return p.issued() + "," + p.useful() + "," + p.late() + "," + p.cancelled() + "," + p.dropped();
    }

    private static String num(double x) {
        return Double.isNaN(x) ? "" : String.format(Locale.ROOT, "%.6g", x);
    }

    private static String str(Object o) {
        return o == null ? "" : o instanceof Double d ? num(d) : o.toString();
    }

    private static String quote(String s) {
        return s.contains(",") || s.contains("\"") || s.contains(" ") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /** One row as a JSON object with snake_case keys, NaN written as null. */
    public static ObjectNode rowJson(BenchSuite.Row r) {
        ObjectMapper om = new ObjectMapper();
        ObjectNode o = om.createObjectNode();
        o.put("model", r.model());
        o.put("path", r.path());
        o.put("arch", r.arch());
        o.put("size_bytes", r.sizeBytes());
        o.put("params", r.params());
        o.put("codec", r.codec());
        o.put("backend", r.backend());
        o.put("threads", r.threads());
        o.put("host_budget", r.hostBudget());
        if (r.hostBudgetBytes() != null) o.put("host_budget_bytes", r.hostBudgetBytes());
        else o.putNull("host_budget_bytes");
        o.put("policy", r.policy());
        o.put("prefetch", r.prefetch());
        o.put("test", r.test());
        o.put("n_prompt", r.nPrompt());
        o.put("n_gen", r.nGen());
        o.put("avg_ts", r.mean());
        o.put("stddev_ts", r.stddev());
        ArrayNode s = o.putArray("samples_ts");
        for (double x : r.samples()) s.add(x);
        ObjectNode w = o.putObject("warmup");
        w.put("steady", r.warmupSteady());
        ArrayNode wt = w.putArray("tg_ts");
        for (double x : r.warmupTg()) wt.add(x);
        ArrayNode wp = w.putArray("pp_ts");
        for (double x : r.warmupPp()) wp.add(x);
        o.put("active_bytes_per_token", r.activeBytesPerToken());
        putNum(o, "memory_bw_bytes_per_s", r.memoryBw());
        putNum(o, "ssd_bw_bytes_per_s", r.ssdBw());
        if (r.ssdDirect() != null) o.put("ssd_direct", r.ssdDirect());
        o.put("bound", r.bound());
        putNum(o, "bound_ts", r.boundTps());
        putNum(o, "ratio_to_bound", r.ratio());
        putNum(o, "huge_page_share", r.hugePageShare());
        if (r.fastHitRate() != null) {
            ObjectNode st = o.putObject("store");
            st.put("fast_hit_rate", r.fastHitRate());
            st.put("host_hit_rate", r.hostHitRate());
            st.put("ssd_bytes_per_token", r.ssdBytesPerToken());
            st.put("bytes_moved_per_token", r.bytesMovedPerToken());
            st.put("stall_ms_per_token", r.stallMsPerToken());
            if (r.prefetchStats() != null) {
                BenchSuite.Prefetch p = r.prefetchStats();
                st.putObject("prefetch").put("issued", p.issued()).put("useful", p.useful()).put("late", p.late())
                        .put("cancelled", p.cancelled()).put("dropped", p.dropped());
            }
        }
        return o;
    }

    private static void putNum(ObjectNode o, String k, double v) {
        if (Double.isFinite(v)) o.put(k, v);
        else o.putNull(k);
    }

    static String json(List<BenchSuite.Row> rows, ObjectNode meta) {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = meta != null ? meta.deepCopy() : om.createObjectNode();
        ArrayNode a = root.putArray("rows");
        for (BenchSuite.Row r : rows) a.add(rowJson(r));
        try {
            return om.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String jsonl(List<BenchSuite.Row> rows) {
        StringBuilder b = new StringBuilder();
        for (BenchSuite.Row r : rows) b.append(rowJson(r).toString()).append('\n');
        return b.toString();
    }
}
