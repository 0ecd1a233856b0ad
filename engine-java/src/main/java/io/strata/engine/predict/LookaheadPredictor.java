// Gate look-ahead: the routers of layers L+1..L+d applied to layer L's router input.
package io.strata.engine.predict;

import io.strata.compression.Matrix;
import io.strata.engine.model.MoeModel;

/**
 * The speculative prefetch of mixtral-offloading and of "In-depth analysis of caching and prefetching" (2025):
 * the residual stream changes little from one layer to the next, so the router of layer L+d applied to layer L's
 * normalised hidden state already ranks layer L+d's experts. Scores are those router logits (natural-log units).
 * Logits are accumulated in double so the ranking matches the model's own f32 router up to rounding.
 */
public final class LookaheadPredictor implements ExpertPredictor {
    private final int hidden, experts;
    private final float[][] routers; // [layer] (experts, hidden) row-major, f32; null for a dense layer

    /**
     * @param routers [layer] router weights (experts, hidden) row-major, or null for a dense layer
     */
    public LookaheadPredictor(float[][] routers, int hidden, int experts) {
        this.routers = routers.clone();
        this.hidden = hidden;
        this.experts = experts;
        for (int l = 0; l < routers.length; l++) {
            if (routers[l] != null && routers[l].length != experts * hidden) {
                throw new IllegalArgumentException("router of layer " + l + ": expected " + experts + " x " + hidden
                        + " = " + experts * hidden + " weights, found " + routers[l].length);
            }
        }
    }

    /** Copies (as f32) the router of every MoE layer of model. */
    public static LookaheadPredictor of(MoeModel model) {
        var c = model.config();
        float[][] r = new float[c.numLayers()][];
        for (int l = 0; l < r.length; l++) {
            var w = model.weights().layers[l].router;
            if (w == null) continue;
            r[l] = toFloats(w.matrix());
        }
        return new LookaheadPredictor(r, c.hidden(), c.numExperts());
    }

    /** m (rows, cols) → row-major f32. */
    static float[] toFloats(Matrix m) {
        float[] out = new float[m.rows() * m.cols()];
        for (int r = 0, i = 0; r < m.rows(); r++) for (int c = 0; c < m.cols(); c++) out[i++] = m.get(r, c);
        return out;
    }

    @Override
    public String name() {
        return "lookahead";
    }

    @Override
    public int numLayers() {
        return routers.length;
    }

    @Override
    public int numExperts() {
        return experts;
    }

    @Override
    public boolean covers(int layer, int ahead) {
        int t = layer + ahead;
        return ahead >= 1 && t < routers.length && routers[t] != null;
    }

    @Override
    public float[] scores(int layer, int ahead, float[] x) {
        if (x.length != hidden) {
            throw new IllegalArgumentException("lookahead layer " + layer + ": expected hidden of " + hidden + ", found " + x.length);
        }
        float[] w = routers[layer + ahead];
        float[] out = new float[experts];
        for (int e = 0; e < experts; e++) {
            double s = 0;
            int off = e * hidden;
            for (int i = 0; i < hidden; i++) s += (double) w[off + i] * x[i];
            out[e] = (float) s;
        }
        return out;
    }
}
