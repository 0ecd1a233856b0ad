// SSD-bound decode with prefetch off vs each predictor: tokens/s, demand stall, and prefetch accuracy.
package io.strata.bench.predict;

import io.strata.engine.predict.*;

import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.engine.api.EngineOptions;
import io.strata.engine.backend.KvCache;
import io.strata.engine.generate.Sampler;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.MoeModel;
import io.strata.tiering.TieredExpertStore;
import io.strata.tiering.stats.StoreStats;
import io.strata.tiering.store.PackedStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Each run opens the packed store afresh (cold tiers) under the same budgets, attaches a {@link Prefetcher} (none
 * for "off"), and for every prompt runs one prefill pass then {@code decodeTokens} greedy decode steps. Demand
 * stall is the wall time acquire() blocked (the store's per-layer statistics), split into prefill and decode; tokens/s is
 * decode steps over decode wall time. The decode phases' store counters and the prefetcher's split of the decode
 * misses (hinted in the pass or not) are kept apart from the prefill's.
 */
public final class PrefetchBenchmark {
    private PrefetchBenchmark() {}

    /**
     * @param store        packed store folder
     * @param hostBudget   host tier bytes (hard limit); the fast tier gets fastBudget, or the host budget when ≤ 0
     * @param policy       eviction policy of both tiers (lru, lfu, random)
     * @param loaderThreads SSD loader threads
     */
    public record Setup(Path store, long hostBudget, long fastBudget, String policy, String backend, int loaderThreads) {}

    /**
     * One measured run. predictor "off" = no prefetcher; report is null then, and every decode miss is unhinted.
     *
     * @param store       store counters of the whole run (prefill and decode)
     * @param decodeStore store counters of the decode phases only
     * @param decodeHintedMisses   decode misses of experts hinted in their pass (the prefetch was late or lost)
     * @param decodeUnhintedMisses decode misses of experts not hinted in their pass (the predictor missed them)
     * @param report       the prefetcher's counters of the whole run; decodeReport those of the decode phases
     */
    public record Result(String predictor, int depth, int m, int round, long promptTokens, long decodeTokens,
                         double prefillSeconds, double decodeSeconds, long prefillStallNanos, long decodeStallNanos,
                         long decodeMisses, long decodeAcquires, long decodeHintedMisses, long decodeHintedStallNanos,
                         long decodeUnhintedMisses, long decodeUnhintedStallNanos, StoreStats store, StoreStats decodeStore,
                         Prefetcher.Report report, Prefetcher.Report decodeReport) {
        public double decodeTokensPerSecond() {
            return decodeSeconds == 0 ? 0 : decodeTokens / decodeSeconds;
        }

        /** Demand stall per decoded token (ms). */
        public double decodeStallMsPerToken() {
            return decodeTokens == 0 ? 0 : decodeStallNanos / 1e6 / decodeTokens;
        }
    }

    /**
     * Opens the packed store as {@code strata run} does ({@link ModelLoader#loadStore}) under the setup's budgets,
     * policy and loader threads, with the store's per-layer stall statistics.
     */
    public static StrataModel open(Setup s, int context) {
        try (PackedStore ps = PackedStore.open(s.store())) {
            if (!"bf16".equals(ps.codec())) {
                throw new IllegalArgumentException(s.store() + ": expected a store packed with codec bf16 (served by the tiered store), found "
                        + ps.codec());
            }
        }
        EngineOptions o = EngineOptions.builder().backend(s.backend()).context(context).hostBudget(s.hostBudget())
                .fastBudget(Math.max(0, s.fastBudget())).policy(s.policy()).prefetch("off").loaderThreads(s.loaderThreads()).build();
        return ModelLoader.loadStore(s.store(), o, true);
    }

    /** The tiered store under m's timing wrapper. */
    public static TieredExpertStore tiered(StrataModel m) {
        return ModelLoader.tiered(m.model().store());
    }

    /** How m's tiered store reads (layer, expert): null if with O_DIRECT, else why it reads buffered. */
    public static String readMode(StrataModel m, int layer, int expert) {
        return tiered(m).readMode(layer, expert);
    }

    /** Bytes of one expert slot of the packed store. */
    public static long expertBytes(Path store) {
        try (PackedStore ps = PackedStore.open(store)) {
            return ps.maxExpertBytes();
        }
    }

    /**
     * One run: fresh store, optional prefetcher, every prompt prefilled then decoded greedily.
     *
     * @param predictor null for prefetch off
     */
    public static Result run(Setup s, ExpertPredictor predictor, int depth, int m, List<int[]> prompts, int decodeTokens, int round) {
        int maxLen = 0;
        for (int[] p : prompts) maxLen = Math.max(maxLen, p.length);
        try (StrataModel sm = open(s, maxLen + decodeTokens + 1)) {
            MoeModel model = sm.model();
            ModelConfig c = model.config();
            StallStatistics stalls = StallStatistics.of(model.store());
            Prefetcher pf = null;
            if (predictor != null) {
                pf = new Prefetcher(model.store(), predictor, model.backend(), c.hidden(), depth, m, expertBytes(s.store()), stalls);
                model.addObserver(pf);
            }
            long promptTokens = 0, decoded = 0, prefillNs = 0, decodeNs = 0, prefillStall = 0, decodeStall = 0;
            long decodeMisses = 0, decodeAcq = 0;
            long[] split = new long[4]; // decode: hinted misses, their stall, unhinted misses, their stall
            Prefetcher.Report decodeReport = null;
            TieredExpertStore tiered = (TieredExpertStore) model.store();
            StoreStats decodeStore = new io.strata.tiering.stats.StatsRecorder().snapshot(); // zero
            for (int[] ids : prompts) {
                KvCache cache = model.newCache(ids.length + decodeTokens + 1);
                long st0 = stall(stalls, c), t0 = System.nanoTime();
                float[] logits = model.forward(ids, 0, cache, false);
                long t1 = System.nanoTime(), st1 = stall(stalls, c), mi1 = misses(stalls, c), ac1 = acquires(stalls, c);
                StoreStats ss1 = tiered.stats();
                Prefetcher.Report pf1 = pf == null ? null : pf.report();
                prefillNs += t1 - t0;
                prefillStall += st1 - st0;
                promptTokens += ids.length;
                int pos = ids.length;
                for (int g = 0; g < decodeTokens; g++) {
                    logits = model.forward(new int[] {Sampler.argmax(logits, 0, logits.length)}, pos++, cache, false);
                }
                decodeNs += System.nanoTime() - t1;
                decodeStall += stall(stalls, c) - st1;
                decodeMisses += misses(stalls, c) - mi1;
                decodeAcq += acquires(stalls, c) - ac1;
                decoded += decodeTokens;
                decodeStore = decodeStore.plus(tiered.stats().minus(ss1));
                if (pf != null) {
                    Prefetcher.Report d = pf.report().minus(pf1);
                    decodeReport = decodeReport == null ? d : decodeReport.plus(d);
                }
            }
            if (pf == null) { // nothing was hinted: every miss is unhinted
                split[2] = decodeMisses;
                split[3] = decodeStall;
            } else {
                Prefetcher.LayerStats t = decodeReport.total();
                split[0] = t.hintedMisses();
                split[1] = t.hintedStallNanos();
                split[2] = t.unhintedMisses();
                split[3] = t.unhintedStallNanos();
            }
            return new Result(predictor == null ? "off" : predictor.name(), predictor == null ? 0 : depth, predictor == null ? 0 : m,
                    round, promptTokens, decoded, prefillNs / 1e9, decodeNs / 1e9, prefillStall, decodeStall, decodeMisses,
                    decodeAcq, split[0], split[1], split[2], split[3], tiered.stats(), decodeStore, pf == null ? null : pf.report(), decodeReport);
        }
    }

    private static long stall(StallStatistics s, ModelConfig c) {
        long n = 0;
        for (int l = 0; l < c.numLayers(); l++) n += s.stallNanos(l);
        return n;
    }

    private static long misses(StallStatistics s, ModelConfig c) {
        long n = 0;
        for (int l = 0; l < c.numLayers(); l++) n += s.misses(l);
        return n;
    }

    private static long acquires(StallStatistics s, ModelConfig c) {
        long n = 0;
        for (int l = 0; l < c.numLayers(); l++) n += s.acquires(l);
        return n;
    }

    /**
     * A table: one row per run, decode phases only. "pf loads" are the loads prefetch hints started, "useful" those
     * an acquire then used (of which "late": it waited for the read), "cancelled" those withdrawn before their read;
     * "not routed MiB" is the upper bound of the hints the router did not choose (resident experts included).
     */
    public static String table(List<Result> rs) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "%-14s %5s %3s %5s %9s %11s %12s %13s %15s %9s %7s %5s %9s %9s %7s %14s%n", "predictor", "depth", "m", "round", "decode/s",
                "stall ms/t", "decode miss%", "hinted miss/t", "unhinted miss/t", "pf loads", "useful", "late", "cancelled",
                "precision", "recall", "not routed MiB"));
        for (Result r : rs) {
            Prefetcher.LayerStats t = r.decodeReport() == null ? null : r.decodeReport().total();
            double n = Math.max(1, r.decodeTokens());
            StoreStats d = r.decodeStore();
            sb.append(String.format(Locale.ROOT, "%-14s %5s %3s %5d %9.2f %11.3f %12.1f %13.2f %15.2f %9d %7d %5d %9d %9s %7s %14s%n",
                    r.predictor(), r.depth() == 0 ? "-" : Integer.toString(r.depth()), r.depth() == 0 ? "-" : Integer.toString(r.m()),
                    r.round(), r.decodeTokensPerSecond(),
                    r.decodeStallMsPerToken(), r.decodeAcquires() == 0 ? 0.0 : 100.0 * r.decodeMisses() / r.decodeAcquires(),
                    r.decodeHintedMisses() / n, r.decodeUnhintedMisses() / n,
                    d.prefetchIssued(), d.prefetchUseful(), d.prefetchLate(), d.prefetchCancelled(),
                    t == null ? "-" : String.format(Locale.ROOT, "%.3f", t.precision()),
                    t == null ? "-" : String.format(Locale.ROOT, "%.3f", t.recall()),
                    t == null ? "-" : String.format(Locale.ROOT, "%.1f", t.wastedBytes() / 1048576.0)));
        }
        return sb.toString();
    }

    /** Plain maps for a JSON writer. */
    public static Map<String, Object> json(Result r) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("predictor", r.predictor());
        o.put("depth", r.depth());
        o.put("m", r.m());
        o.put("round", r.round());
        o.put("prompt_tokens", r.promptTokens());
        o.put("decode_tokens", r.decodeTokens());
        o.put("prefill_seconds", r.prefillSeconds());
        o.put("decode_seconds", r.decodeSeconds());
        o.put("decode_tokens_per_s", r.decodeTokensPerSecond());
        o.put("prefill_stall_ns", r.prefillStallNanos());
        o.put("decode_stall_ns", r.decodeStallNanos());
        o.put("decode_stall_ms_per_token", r.decodeStallMsPerToken());
        o.put("decode_misses", r.decodeMisses());
        o.put("decode_acquires", r.decodeAcquires());
        o.put("decode_hinted_misses", r.decodeHintedMisses());
        o.put("decode_hinted_stall_ns", r.decodeHintedStallNanos());
        o.put("decode_unhinted_misses", r.decodeUnhintedMisses());
        o.put("decode_unhinted_stall_ns", r.decodeUnhintedStallNanos());
        o.put("store", storeJson(r.store()));
        o.put("store_decode", storeJson(r.decodeStore()));
        if (r.report() != null) o.put("prefetch", r.report().toJson());
        if (r.decodeReport() != null) o.put("prefetch_decode", r.decodeReport().toJson());
        return o;
    }

    private static Map<String, Object> storeJson(StoreStats st) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("fast_hits", st.fastHits());
        s.put("host_hits", st.hostHits());
        s.put("ssd_loads", st.ssdReads());
        s.put("ssd_bytes_read", st.ssdBytesRead());
        s.put("ssd_read_ns", st.ssdReadNs());
        s.put("joined_loads", st.joinedLoads());
        s.put("wait_ns_fast", st.waitNs(io.strata.tiering.Tier.FAST));
        s.put("wait_ns_host", st.waitNs(io.strata.tiering.Tier.HOST));
        s.put("wait_ns_ssd", st.waitNs(io.strata.tiering.Tier.SSD));
        s.put("prefetch_issued", st.prefetchIssued());
        s.put("prefetch_useful", st.prefetchUseful());
        s.put("prefetch_late", st.prefetchLate());
        s.put("prefetch_dropped", st.prefetchDropped());
        s.put("prefetch_cancelled", st.prefetchCancelled());
        s.put("host_evictions", st.hostEvictions());
        s.put("fast_evictions", st.fastEvictions());
        return s;
    }

    /** Results as a list of maps. */
    public static List<Object> json(List<Result> rs) {
        List<Object> out = new ArrayList<>();
        for (Result r : rs) out.add(json(r));
        return out;
    }
}
