// Issues store prefetches for the experts a predictor expects in the next d layers (a RoutingObserver).
package io.strata.engine.predict;

import io.strata.engine.backend.Backend;
import io.strata.engine.backend.Buf;
import io.strata.engine.moe.RoutingObserver;
import io.strata.tiering.ExpertStore;
import io.strata.tiering.Tier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * On layer L's router input, asks the predictor for the top-m experts of layers L+1 .. L+d; once layer L is
 * routed, calls {@link ExpertStore#prefetch} for them (nearest layer first), once per (layer, expert) and forward
 * pass. It never blocks and never waits on a load.
 *
 * <p>Order of the calls at layer L's routing (the MoE block has already requested layer L's own experts, and
 * waits for them after this call): first the withdrawals below, then the predicted hints, nearest layer first.
 *
 * <p>The store's contract, which this class relies on and does not enforce: a prefetch is a hint served at lower
 * priority than every demand miss, it stays within the store's budgets, and it never evicts an expert that is
 * acquired or requested for the layer being computed (the store may drop the hint instead).
 *
 * <p>A hint is never issued for a layer already routed in the current pass. Once layer L is routed, hints for L
 * that the router did not choose are withdrawn ({@link ExpertStore#cancelPrefetch}) and counted as bytes prefetched
 * but never used (an upper bound: the store may have had the expert resident or dropped the hint). Stall time
 * comes from a {@link StallStatistics} when one is given, else from the store's own per-layer statistics. It also
 * hears of every acquire (a store that times its acquires tells its listener), and splits the demand misses (acquires served from SSD) into those of experts hinted in the current
 * pass (the prefetch came too late, or the store dropped or evicted it) and those never hinted (the predictor
 * missed them).
 *
 * <p>Called on the model's thread; {@link #report} may be called from any thread.
 */
public final class Prefetcher implements RoutingObserver {
    private final ExpertStore store;
    private final ExpertPredictor predictor;
    private final Backend backend;
    private final int hidden, depth, m, maxPerLayer, layers, experts;
    private final long expertBytes;
    private final StallStatistics stalls; // may be null

    private final boolean[][] issued; // (layers, experts) hinted in the current pass and not yet routed
    private final boolean[][] hinted; // (layers, experts) hinted in the current pass
    private final List<int[]> pending = new ArrayList<>(); // (target layer, expert) predicted, issued at routing
    private int passPos0 = -1, lastLayer = Integer.MAX_VALUE;
    // (layers) cumulative counters, guarded by this
    private final long[] issuedCount, usedCount, routedCount, wastedBytes, predictNanos, passes;
    // (layers) demand misses of hinted / never hinted experts and their stall (ns), guarded by this
    private final long[] hintedMisses, hintedStall, unhintedMisses, unhintedStall;

    /**
     * @param depth       look-ahead distance d ≥ 1 (layers L+1 .. L+d)
     * @param m           experts per predicted layer
     * @param expertBytes bytes one expert moves (for the wasted-bytes metric)
     * @param stalls      stall statistics of the store, or null (the store itself is used when it implements them)
     */
    public Prefetcher(ExpertStore store, ExpertPredictor predictor, Backend backend, int hidden, int depth, int m,
                      long expertBytes, StallStatistics stalls) {
        this(store, predictor, backend, hidden, depth, m, m, expertBytes, stalls);
    }

    /**
     * @param maxPerLayer hints per target layer and source layer at most (when a prefill chunk's tokens predict
     *                    more distinct experts than this, the ones most tokens predicted); the other constructor
     *                    uses m, which never limits a single-token decode step
     */
    public Prefetcher(ExpertStore store, ExpertPredictor predictor, Backend backend, int hidden, int depth, int m,
                      int maxPerLayer, long expertBytes, StallStatistics stalls) {
        if (depth < 1 || m < 1 || maxPerLayer < 1) {
            throw new IllegalArgumentException("prefetcher: expected depth, m and maxPerLayer ≥ 1, found depth " + depth
                    + ", m " + m + ", maxPerLayer " + maxPerLayer);
        }
        this.maxPerLayer = maxPerLayer;
        this.store = store;
        this.predictor = predictor;
        this.backend = backend;
        this.hidden = hidden;
        this.depth = depth;
        this.m = m;
        this.layers = predictor.numLayers();
        this.experts = predictor.numExperts();
        this.expertBytes = expertBytes;
        // A store that counts by layer gives its demand stall; one that keeps no statistics gives none (-1 in reports).
        this.stalls = stalls != null ? stalls : store.stats().layers() > 0 ? StallStatistics.of(store) : null;
        issued = new boolean[layers][experts];
        hinted = new boolean[layers][experts];
        issuedCount = new long[layers];
        usedCount = new long[layers];
        routedCount = new long[layers];
        wastedBytes = new long[layers];
        predictNanos = new long[layers];
        passes = new long[layers];
        hintedMisses = new long[layers];
        hintedStall = new long[layers];
        unhintedMisses = new long[layers];
        unhintedStall = new long[layers];
        store.listen(this::onAcquire);
    }

    /** One acquire of the model (on the model's thread, before or after this layer's onRouted). */
    void onAcquire(int layer, int expert, Tier tier, long stallNanos) {
        if (tier != Tier.SSD) return;
        boolean h = hinted[layer][expert];
        synchronized (this) {
            if (h) {
                hintedMisses[layer]++;
                hintedStall[layer] += stallNanos;
            } else {
                unhintedMisses[layer]++;
                unhintedStall[layer] += stallNanos;
            }
        }
    }

    public ExpertPredictor predictor() {
        return predictor;
    }

    public int depth() {
        return depth;
    }

    @Override
    // Synchronized: the pass state (pending, issued, passPos0) belongs to one stream at a time; generations running
    // concurrently through one model take turns here instead of corrupting it (found by the concurrent soak test).
    public synchronized void beforeRouting(int layer, int pos0, int n, Buf x) {
        if (pos0 != passPos0 || layer <= lastLayer) { // a new forward pass
            for (boolean[] row : issued) java.util.Arrays.fill(row, false);
            for (boolean[] row : hinted) java.util.Arrays.fill(row, false);
            passPos0 = pos0;
        }
        lastLayer = layer;
        pending.clear();
        long t0 = System.nanoTime();
        float[] all = new float[n * hidden]; // (n, hidden)
        backend.read(x, all, 0, all.length);
        float[][] rows = new float[n][hidden];
        for (int t = 0; t < n; t++) System.arraycopy(all, t * hidden, rows[t], 0, hidden);
        for (int a = 1; a <= depth; a++) { // nearest layer first
            int target = layer + a;
            if (!predictor.covers(layer, a)) continue;
            // Several tokens (prefill): each votes for its top-m; the maxPerLayer most voted are hinted. A vote
            // carries a little more for a higher rank, so one token's hints keep the predictor's order.
            float[] votes = new float[experts];
            for (float[] row : rows) {
                int[] pred = predictor.predict(layer, a, row, m);
                for (int j = 0; j < pred.length; j++) votes[pred[j]] += 1f + 1e-3f * (pred.length - j);
            }
            for (int e : TopM.of(votes, maxPerLayer)) {
                if (votes[e] == 0 || issued[target][e]) continue;
                issued[target][e] = true;
                pending.add(new int[] {target, e});
            }
        }
        long spent = System.nanoTime() - t0;
        synchronized (this) {
            predictNanos[layer] += spent;
        }
    }

    @Override
    public synchronized void onRouted(int layer, int pos0, int[][] ids, float[][] weights) {
        boolean[] routed = new boolean[experts];
        for (int[] t : ids) for (int e : t) routed[e] = true;
        long used = 0, wasted = 0, nRouted = 0;
        for (int e = 0; e < experts; e++) {
            if (routed[e]) nRouted++;
            if (!issued[layer][e]) continue;
            if (routed[e]) {
                used++;
            } else {
                wasted++;
                store.cancelPrefetch(layer, e);
            }
            issued[layer][e] = false;
        }
        if (lastLayer != layer) pending.clear(); // predictions made for another layer's pass are stale
        for (int[] h : pending) {
            hinted[h[0]][h[1]] = true;
            store.prefetch(h[0], h[1]);
        }
        synchronized (this) {
            for (int[] h : pending) issuedCount[h[0]]++;
            usedCount[layer] += used;
            routedCount[layer] += nRouted;
            wastedBytes[layer] += wasted * expertBytes;
            passes[layer]++;
        }
        pending.clear();
    }

    /**
     * One layer's prefetch counters (layer = -1: all layers); stall figures are -1 without statistics.
     *
     * @param hintedMisses   demand misses of experts hinted in that pass (late, dropped or evicted prefetches);
     *                       this and the next three are 0 unless the store tells its listener of acquires
     * @param hintedStallNanos   their stall
     * @param unhintedMisses demand misses of experts never hinted in that pass (the predictor missed them)
     * @param unhintedStallNanos their stall
     */
    public record LayerStats(int layer, long issued, long used, long routed, long wastedBytes, long predictNanos,
                             long stallNanos, long misses, long acquires, long hintedMisses, long hintedStallNanos,
                             long unhintedMisses, long unhintedStallNanos) {
        /** Counters of this plus sign × those of o (same layer). */
        LayerStats add(LayerStats o, int sign) {
            return new LayerStats(layer, issued + sign * o.issued, used + sign * o.used, routed + sign * o.routed,
                    wastedBytes + sign * o.wastedBytes, predictNanos + sign * o.predictNanos,
                    stallNanos < 0 ? -1 : stallNanos + sign * o.stallNanos, misses < 0 ? -1 : misses + sign * o.misses,
                    acquires < 0 ? -1 : acquires + sign * o.acquires, hintedMisses + sign * o.hintedMisses,
                    hintedStallNanos + sign * o.hintedStallNanos, unhintedMisses + sign * o.unhintedMisses,
                    unhintedStallNanos + sign * o.unhintedStallNanos);
        }

        /** Hints that the router then chose / hints issued. */
        public double precision() {
            return issued == 0 ? Double.NaN : (double) used / issued;
        }

        /** Routed experts that had been hinted / routed experts (per pass, distinct). */
        public double recall() {
            return routed == 0 ? Double.NaN : (double) used / routed;
        }
    }

    public record Report(String predictor, int depth, int m, List<LayerStats> layers, LayerStats total) {
        /** Counters accumulated since {@code earlier} (a report of the same prefetcher). */
        public Report minus(Report earlier) {
            return add(earlier, -1);
        }

        /** Counters of both reports added (e.g. the decode phases of several prompts). */
        public Report plus(Report other) {
            return add(other, 1);
        }

        private Report add(Report o, int sign) {
            Map<Integer, LayerStats> byLayer = new java.util.TreeMap<>();
            for (LayerStats s : layers) byLayer.put(s.layer(), s);
            for (LayerStats s : o.layers()) {
                LayerStats mine = byLayer.get(s.layer());
                if (mine == null) mine = new LayerStats(s.layer(), 0, 0, 0, 0, 0, s.stallNanos() < 0 ? -1 : 0,
                        s.misses() < 0 ? -1 : 0, s.acquires() < 0 ? -1 : 0, 0, 0, 0, 0);
                byLayer.put(s.layer(), mine.add(s, sign));
            }
            return new Report(predictor, depth, m, new ArrayList<>(byLayer.values()), total.add(o.total(), sign));
        }

        public String table() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                    "prefetch with %s, depth %d, top-%d%n%5s %8s %8s %8s %9s %7s %12s %10s %8s %14s %16s%n", predictor, depth, m,
                    "layer", "issued", "used", "routed", "precision", "recall", "unused MiB", "stall ms", "misses",
                    "hinted miss/ms", "unhinted miss/ms"));
            List<LayerStats> all = new ArrayList<>(layers);
            all.add(total);
            for (LayerStats s : all) {
                sb.append(String.format(Locale.ROOT, "%5s %8d %8d %8d %9.3f %7.3f %12.2f %10s %8s %14s %16s%n",
                        s.layer() < 0 ? "all" : Integer.toString(s.layer()), s.issued(), s.used(), s.routed(),
                        s.precision(), s.recall(), s.wastedBytes() / 1048576.0,
                        s.stallNanos() < 0 ? "-" : String.format(Locale.ROOT, "%.2f", s.stallNanos() / 1e6),
                        s.misses() < 0 ? "-" : Long.toString(s.misses()),
                        String.format(Locale.ROOT, "%d/%.1f", s.hintedMisses(), s.hintedStallNanos() / 1e6),
                        String.format(Locale.ROOT, "%d/%.1f", s.unhintedMisses(), s.unhintedStallNanos() / 1e6)));
            }
            return sb.toString();
        }

        public Map<String, Object> toJson() {
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("predictor", predictor);
            root.put("depth", depth);
            root.put("m", m);
            List<Object> rows = new ArrayList<>();
            for (LayerStats s : layers) rows.add(json(s));
            root.put("layers", rows);
            root.put("total", json(total));
            return root;
        }

        /** JSON has no NaN: an undefined ratio (nothing predicted or routed) is written as null. */
        private static Double finite(double d) {
            return Double.isFinite(d) ? d : null;
        }

        private static Map<String, Object> json(LayerStats s) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("layer", s.layer() < 0 ? "all" : s.layer());
            o.put("issued", s.issued());
            o.put("used", s.used());
            o.put("routed", s.routed());
            o.put("precision", finite(s.precision()));
            o.put("recall", finite(s.recall()));
            o.put("unused_bytes", s.wastedBytes());
            o.put("predict_ns", s.predictNanos());
            o.put("stall_ns", s.stallNanos());
            o.put("misses", s.misses());
            o.put("acquires", s.acquires());
            o.put("hinted_misses", s.hintedMisses());
            o.put("hinted_stall_ns", s.hintedStallNanos());
            o.put("unhinted_misses", s.unhintedMisses());
            o.put("unhinted_stall_ns", s.unhintedStallNanos());
            return o;
        }
    }

    /** Counters since construction, per layer that was routed and in total. */
    public synchronized Report report() {
        List<LayerStats> rows = new ArrayList<>();
        long[] tot = new long[12];
        boolean hasStalls = stalls != null;
        for (int l = 0; l < layers; l++) {
            if (passes[l] == 0 && issuedCount[l] == 0) continue;
            long st = hasStalls ? stalls.stallNanos(l) : -1, mi = hasStalls ? stalls.misses(l) : -1, ac = hasStalls ? stalls.acquires(l) : -1;
            LayerStats s = new LayerStats(l, issuedCount[l], usedCount[l], routedCount[l], wastedBytes[l], predictNanos[l], st, mi, ac,
                    hintedMisses[l], hintedStall[l], unhintedMisses[l], unhintedStall[l]);
            rows.add(s);
            long[] v = {s.issued(), s.used(), s.routed(), s.wastedBytes(), s.predictNanos(), st, mi, ac,
                    s.hintedMisses(), s.hintedStallNanos(), s.unhintedMisses(), s.unhintedStallNanos()};
            for (int i = 0; i < v.length; i++) tot[i] += v[i];
        }
        LayerStats total = new LayerStats(-1, tot[0], tot[1], tot[2], tot[3], tot[4],
                hasStalls ? tot[5] : -1, hasStalls ? tot[6] : -1, hasStalls ? tot[7] : -1, tot[8], tot[9], tot[10], tot[11]);
        return new Report(predictor.name(), depth, m, rows, total);
    }
}
