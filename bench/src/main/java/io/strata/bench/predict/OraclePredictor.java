// The oracle: routes recorded in an earlier pass over the same prompts, looked up by the router input.
package io.strata.bench.predict;

import io.strata.engine.predict.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The upper bound of prediction: it knows the routes because they were recorded ({@link RoutingRuns}) in an
 * earlier, unmeasured pass over exactly the prompts being run now. Greedy decoding repeats every router input, so
 * layer L's input identifies the (sequence, position) it came from, and the routes of layer L+d at that position
 * are the answer. Only meaningful in {@code predict bench} (built from the measured prompts) and
 * {@code predict eval} (built from the held-out prompts, where it scores 1.0 at m = top-k); on any other input it
 * knows nothing.
 *
 * <p>Matching: first on the exact float bits. The Vector API kernels of the CPU backend do not repeat bit for bit
 * while the JIT warms up (two recordings of the same prompts in one JVM differ in the last bits of some inputs;
 * with {@code -Dstrata.vector=false} they are identical), so an input not found exactly is matched to the nearest
 * input recorded at the same layer, accepted when {@code ‖x − r‖₂ ≤ tolerance · ‖x‖₂}; {@link #nearMatches()}
 * counts those. The positions after the last match (same position, next position, next sequence's first) are tried
 * first and taken when within the tolerance, before a scan of the layer for the nearest, so decoding in recorded
 * order costs O(hidden) per lookup.
 *
 * <p>Scores: for a matched input, {@code k - rank} for the k experts routed at L+d (k for the first choice, 1 for
 * the last), 0 for the others, so the top-k prediction is exactly the recorded router choice in its order. For an
 * input with no match every score is 0 (the top-m is then experts 0..m-1) and {@link #lookupFailures()} counts
 * it: a run with failures did not see the future, and its figures are no upper bound.
 *
 * <p>Two positions with the same input at a layer (in practice: the same prefix, e.g. position 0 of prompts that
 * start with the same token) have the same routes, so the first recorded one is kept.
 */
public final class OraclePredictor implements ExpertPredictor {
    /** Relative L2 distance under which an input not found bit for bit still matches a recorded one. */
    public static final double DEFAULT_TOLERANCE = 1e-3;

    /** A (layer, router input) key compared on the exact float bits ({@link Arrays#equals(float[], float[])}). */
    private record Key(int layer, float[] hidden) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.layer == layer && Arrays.equals(k.hidden, hidden);
        }

        @Override
        public int hashCode() {
            return 31 * layer + Arrays.hashCode(hidden);
        }
    }

    /** Where a router input was recorded: sequence index, position. */
    private record Where(int sequence, int position) {}

    private final int layers, experts, hiddenSize;
    private final double tolerance;
    private final boolean[] moeLayer;              // (layers)
    private final List<RoutingDataset.Sequence> sequences;
    private final Map<Key, Where> index;           // (layer, router input) → first recorded (sequence, position)
    private final List<List<Where>> byLayer;       // [layer] every recorded (sequence, position), for the near scan
    private final AtomicLong lookups = new AtomicLong(), near = new AtomicLong(), failures = new AtomicLong();
    private volatile Where last;                   // the last match: where the next lookup most likely is

    private OraclePredictor(RoutingDataset data, double tolerance, Map<Key, Where> index, List<List<Where>> byLayer) {
        this.layers = data.numLayers();
        this.experts = data.numExperts();
        this.hiddenSize = data.hiddenSize();
        this.tolerance = tolerance;
        this.moeLayer = data.moeLayer();
        this.sequences = data.sequences();
        this.index = index;
        this.byLayer = byLayer;
    }

    /** As {@link #of(RoutingDataset, double)} with {@link #DEFAULT_TOLERANCE}. */
    public static OraclePredictor of(RoutingDataset data) {
        return of(data, DEFAULT_TOLERANCE);
    }

    /**
     * Indexes every (MoE layer, router input) of data's sequences.
     *
     * @param tolerance relative L2 distance of a near match; 0 = bit-identical inputs only
     * @throws IllegalArgumentException when an MoE layer of some position lacks its router input or its route
     */
    public static OraclePredictor of(RoutingDataset data, double tolerance) {
        if (!(tolerance >= 0)) throw new IllegalArgumentException("oracle: expected a tolerance ≥ 0, found " + tolerance);
        Map<Key, Where> index = new HashMap<>();
        List<List<Where>> byLayer = new ArrayList<>();
        for (int l = 0; l < data.numLayers(); l++) byLayer.add(new ArrayList<>());
        List<RoutingDataset.Sequence> seqs = data.sequences();
        for (int s = 0; s < seqs.size(); s++) {
            RoutingDataset.Sequence q = seqs.get(s);
            for (int t = 0; t < q.tokens(); t++) {
                for (int l = 0; l < data.numLayers(); l++) {
                    if (!data.moeLayer()[l]) continue;
                    float[] h = q.hidden()[t][l];
                    int[] e = q.experts()[t][l];
                    if (h == null || e == null || h.length != data.hiddenSize()) {
                        throw new IllegalArgumentException("oracle: sequence " + s + " (" + q.name() + ") position " + t + " MoE layer " + l
                                + ": expected a router input of " + data.hiddenSize() + " floats and a route, found "
                                + (h == null ? "no input" : "an input of " + h.length) + " and " + (e == null ? "no route" : "a route"));
                    }
                    Where w = new Where(s, t);
                    if (index.putIfAbsent(new Key(l, h), w) == null) byLayer.get(l).add(w);
                }
            }
        }
        return new OraclePredictor(data, tolerance, index, byLayer);
    }

    @Override
    public String name() {
        return "oracle";
    }

    @Override
    public int numLayers() {
        return layers;
    }

    @Override
    public int numExperts() {
        return experts;
    }

    @Override
    public boolean covers(int layer, int ahead) {
        int t = layer + ahead;
        return ahead >= 1 && layer >= 0 && t < layers && moeLayer[layer] && moeLayer[t];
    }

    /**
     * @return (experts) k - rank for the experts routed at layer + ahead where hidden was recorded, 0 elsewhere;
     *         all 0 (and one more lookup failure) when no recorded input at layer matches hidden
     */
    @Override
    public float[] scores(int layer, int ahead, float[] hidden) {
        if (hidden.length != hiddenSize) {
            throw new IllegalArgumentException("oracle layer " + layer + ": expected hidden of " + hiddenSize + ", found " + hidden.length);
        }
        if (!covers(layer, ahead)) {
            throw new IllegalArgumentException("oracle: expected layer and layer + ahead to be MoE layers below " + layers
                    + ", found layer " + layer + ", ahead " + ahead);
        }
        lookups.incrementAndGet();
        float[] out = new float[experts];
        Where w = index.get(new Key(layer, hidden));
        if (w == null && tolerance > 0) {
            w = nearest(layer, hidden);
            if (w != null) near.incrementAndGet();
        }
        if (w == null) {
            failures.incrementAndGet();
            return out;
        }
        last = w;
        int[] routed = sequences.get(w.sequence()).experts()[w.position()][layer + ahead];
        for (int r = 0; r < routed.length; r++) out[routed[r]] = routed.length - r;
        return out;
    }

    /** The recorded input at layer nearest to x within the tolerance, or null; the positions after the last match first. */
    private Where nearest(int layer, float[] x) {
        double norm2 = 0;
        for (float v : x) norm2 += (double) v * v;
        double limit = tolerance * tolerance * norm2;
        Where prev = last;
        if (prev != null) {
            Where[] next = {prev, new Where(prev.sequence(), prev.position() + 1), new Where(prev.sequence() + 1, 0)};
            for (Where w : next) {
                if (w.sequence() >= sequences.size() || w.position() >= sequences.get(w.sequence()).tokens()) continue;
                if (distance2(x, sequences.get(w.sequence()).hidden()[w.position()][layer], limit) >= 0) return w;
            }
        }
        Where best = null;
        for (Where w : byLayer.get(layer)) {
            double d = distance2(x, sequences.get(w.sequence()).hidden()[w.position()][layer], limit);
            if (d >= 0) {
                best = w;
                limit = d; // later inputs must be nearer still
            }
        }
        return best;
    }

    /** ‖x − r‖₂², or -1 as soon as it exceeds limit (most recorded inputs are far: stop early). */
    private static double distance2(float[] x, float[] r, double limit) {
        double d = 0;
        for (int i = 0; i < x.length; i++) {
            double e = (double) x[i] - r[i];
            d += e * e;
            if (d > limit) return -1;
        }
        return d;
    }

    /** Calls of {@link #scores} (each {@link #predict} is one) so far. */
    public long lookups() {
        return lookups.get();
    }

    /** Lookups matched to a recorded input within the tolerance but not bit for bit. */
    public long nearMatches() {
        return near.get();
    }

    /** Relative L2 distance of a near match (0: exact matches only). */
    public double tolerance() {
        return tolerance;
    }

    /** Lookups whose router input matched no recorded one (scores all equal: nothing known). */
    public long lookupFailures() {
        return failures.get();
    }

    /** Distinct (layer, router input) keys indexed. */
    public int indexed() {
        return index.size();
    }
}
