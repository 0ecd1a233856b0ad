// Picking FloE's per-layer activation threshold t from samples of |x·W_upᵀ| for a target sparsity.
package io.strata.compression.floe;

import java.util.Arrays;
import java.util.List;

/**
 * Per-layer threshold calibration. Samples are up-projection outputs {@code v = x·W_upᵀ} of one
 * layer (any experts, any tokens, signs ignored); t is the sparsity-quantile of {@code |v|}, so a
 * mask {@code |v| > t} keeps at most {@code 1 − sparsity} of the sampled channels.
 */
public final class ThresholdCalibration {
    /** FloE's operating point: 85 % of channels skipped. */
    public static final double DEFAULT_SPARSITY = 0.85;

    private ThresholdCalibration() {}

    /**
     * The smallest t with {@code #{|v| ≤ t} ≥ sparsity · N} over all sampled values.
     *
     * @param samples  arrays of v (each typically (I) for one token and expert)
     * @param sparsity target fraction of channels with {@code |v| ≤ t}, in [0, 1)
     */
    public static float threshold(List<float[]> samples, double sparsity) {
        if (!(sparsity >= 0 && sparsity < 1)) {
            throw new IllegalArgumentException("sparsity must be in [0, 1), found " + sparsity);
        }
        long n = 0;
        for (float[] s : samples) n += s.length;
        if (n == 0) throw new IllegalArgumentException("no samples to calibrate a threshold from");
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("too many samples: " + n + " values (limit 2^31)");
        float[] all = new float[(int) n];
        int o = 0;
        for (float[] s : samples) for (float v : s) all[o++] = Math.abs(v);
        Arrays.sort(all);
        int k = (int) Math.ceil(sparsity * n) - 1;
        return k < 0 ? 0f : all[k];
    }

    /** {@link #threshold} at {@link #DEFAULT_SPARSITY}. */
    public static float threshold(List<float[]> samples) {
        return threshold(samples, DEFAULT_SPARSITY);
    }

    /** One threshold per layer; {@code perLayer.get(L)} holds layer L's samples. */
    public static float[] thresholds(List<List<float[]>> perLayer, double sparsity) {
        float[] t = new float[perLayer.size()];
        for (int l = 0; l < t.length; l++) {
            try {
                t[l] = threshold(perLayer.get(l), sparsity);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("layer " + l + ": " + e.getMessage(), e);
            }
        }
        return t;
    }

    /** Fraction of sampled values with {@code |v| ≤ t} (the sparsity a mask with t achieves). */
    public static double sparsity(List<float[]> samples, float t) {
        long n = 0, below = 0;
        for (float[] s : samples) {
            for (float v : s) {
                n++;
                if (!(Math.abs(v) > t)) below++;
            }
        }
        return n == 0 ? 0 : (double) below / n;
    }
}
