// LRFU (Lee et al., IEEE ToC 2001): one decaying score per expert that spans LRU and LFU.
package io.strata.tiering.policy;

import io.strata.tiering.ExpertKey;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Each expert's combined recency and frequency (CRF) is the sum over its past requests of
 * {@code F(t - t_i) = (1/2)^(λ (t - t_i))}, t in tokens; the candidate with the smallest CRF is evicted (ties: least
 * recently requested). λ = 0 is LFU without aging; λ = 1 makes one more recent request outweigh all older ones
 * ({@code F(x) ≥ Σ_{j>x} F(j)}), i.e. LRU at token granularity. The half-life of a request's weight is 1/λ tokens.
 * CRFs are kept for evicted experts too (as in the paper's unbounded variant). Kept incrementally: at a request,
 * {@code C ← 1 + C · F(t - t_last)}; compared in log2 to avoid underflow on long gaps.
 */
public final class LrfuPolicy implements EvictionPolicy {
    /** Default λ (per token): half-life 16 tokens. Chosen a priori, between LFU (0) and LRU (1). */
    public static final double DEFAULT_LAMBDA = 1.0 / 16;

    private record Crf(double log2c, long last, long seq) {}

    private final double lambda;
    private final Map<ExpertKey, Crf> crf = new HashMap<>();
    private long seq;

    public LrfuPolicy() {
        this(DEFAULT_LAMBDA);
    }

    /** @param lambda decay per token, in [0, 1] */
    public LrfuPolicy(double lambda) {
        if (!(lambda >= 0 && lambda <= 1)) {
            throw new IllegalArgumentException("LRFU lambda must be in [0, 1] (0 = LFU, 1 = LRU), found " + lambda);
        }
        this.lambda = lambda;
    }

    @Override
    public String name() {
        return "lrfu";
    }

    public double lambda() {
        return lambda;
    }

    /** log2 of the CRF of {@code key} at {@code time}; -infinity if never requested. */
    public double log2Crf(ExpertKey key, long time) {
        Crf c = crf.get(key);
        return c == null ? Double.NEGATIVE_INFINITY : c.log2c - lambda * (time - c.last);
    }

    @Override
    public void onAccess(ExpertKey key, long time) {
        Crf c = crf.get(key);
        double v = c == null ? 0 : Math.log1p(Math.pow(2, c.log2c - lambda * (time - c.last))) / Math.log(2);
        // log2(1 + C·F): with C·F = 2^x, log2(1 + 2^x).
        crf.put(key, new Crf(c == null ? 0 : v, time, ++seq));
    }

    @Override
    public void onInsert(ExpertKey key, long time) {}

    @Override
    public void onEvict(ExpertKey key) {}

    @Override
    public ExpertKey chooseVictim(List<ExpertKey> candidates, long time) {
        ExpertKey best = candidates.getFirst();
        double low = Double.POSITIVE_INFINITY;
        long bestSeq = Long.MAX_VALUE;
        for (ExpertKey k : candidates) {
            Crf c = crf.get(k);
            double v = c == null ? Double.NEGATIVE_INFINITY : c.log2c - lambda * (time - c.last);
            long s = c == null ? 0 : c.seq;
            if (v < low || (v == low && s < bestSeq)) {
                low = v;
                bestSeq = s;
                best = k;
            }
        }
        return best;
    }
}
