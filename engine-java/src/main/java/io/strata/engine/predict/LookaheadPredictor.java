// Gate look-ahead: the routers of layers L+1..L+d applied to layer L's router input.
package io.strata.engine.predict;

import io.strata.compression.Matrix;
import io.strata.engine.model.MoeModel;

/**
 * The speculative prefetch of mixtral-offloading and of "In-depth analysis of caching and prefetching" (2025):
 * the residual stream changes little from one layer to the next, so the router of layer L+d applied to layer L's
 * normalised hidden state already ranks layer L+d's experts. Scores are those router logits (natural-log units);
 * for a sigmoid router with a correction bias (DeepSeek-V3, GLM-4.5) the score it selects by, sigmoid(logit) + bias.
 * Logits are accumulated in double so the ranking matches the model's own f32 router up to rounding.
 *
 * <p>With norm rescaling ("lookahead-norm") the input is first moved from layer L's post-attention RMSNorm scale
 * to layer L+d's: {@code x ⊙ w_{L+d} / w_L} (elementwise, the RMS factor is common to both), since layer L+d's
 * router sees its own norm weights applied to the residual stream.
 */
public final class LookaheadPredictor implements ExpertPredictor {
    private final int hidden, experts;
    private final float[][] routers; // [layer] (experts, hidden) row-major, f32; null for a dense layer
    private final float[][] norms;   // [layer] (hidden) post-attention RMSNorm weights, or null: no rescaling
    private float[][] biases;        // [layer] (experts) router bias (gpt-oss), or null
    private float[][] choiceBias;    // [layer] (experts) e_score_correction_bias of sigmoid routers (DeepSeek-V3, GLM-4.5), or null

    /**
     * @param routers [layer] router weights (experts, hidden) row-major, or null for a dense layer
     */
    public LookaheadPredictor(float[][] routers, int hidden, int experts) {
        this(routers, null, hidden, experts);
    }

    /**
     * @param norms [layer] post-attention RMSNorm weights (hidden), or null for plain look-ahead
     */
    public LookaheadPredictor(float[][] routers, float[][] norms, int hidden, int experts) {
        this.routers = routers.clone();
        this.norms = norms == null ? null : norms.clone();
        if (norms != null && norms.length != routers.length) {
            throw new IllegalArgumentException("lookahead: expected norm weights for " + routers.length + " layers, found " + norms.length);
        }
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
        return of(model, false);
    }

    /** As {@link #of(MoeModel)}; rescaleNorm also copies the post-attention norm weights for rescaling. */
    public static LookaheadPredictor of(MoeModel model, boolean rescaleNorm) {
        var c = model.config();
        float[][] r = new float[c.numLayers()][];
        float[][] n = rescaleNorm ? new float[c.numLayers()][] : null;
        for (int l = 0; l < r.length; l++) {
            var L = model.weights().layers[l];
            if (n != null) {
                n[l] = new float[c.hidden()];
                model.backend().read(L.postNorm, n[l], 0, c.hidden());
            }
            if (L.router == null) continue;
            r[l] = toFloats(L.router.matrix());
        }
        LookaheadPredictor p = new LookaheadPredictor(r, n, c.hidden(), c.numExperts());
        for (int l = 0; l < r.length; l++) { // a biased router (gpt-oss): its scores include the bias
            var L = model.weights().layers[l];
            if (L.routerBias == null) continue;
            if (p.biases == null) p.biases = new float[r.length][];
            p.biases[l] = new float[c.numExperts()];
            model.backend().read(L.routerBias, p.biases[l], 0, c.numExperts());
        }
        if (c.router().scoring() == io.strata.engine.moe.RouterSpec.Scoring.SIGMOID) {
            p.choiceBias = new float[c.numLayers()][];
            for (int l = 0; l < r.length; l++) p.choiceBias[l] = model.weights().layers[l].scoreBias;
        }
        return p;
    }

    /** m (rows, cols) → row-major f32. */
    static float[] toFloats(Matrix m) {
        float[] out = new float[m.rows() * m.cols()];
        for (int r = 0, i = 0; r < m.rows(); r++) for (int c = 0; c < m.cols(); c++) out[i++] = m.get(r, c);
        return out;
    }

    @Override
    public String name() {
        return norms == null ? "lookahead" : "lookahead-norm";
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
        if (norms != null) {
            float[] from = norms[layer], to = norms[layer + ahead], y = new float[hidden];
            // A norm weight of 0 erased that component at layer L; nothing can be recovered, leave it 0.
            for (int i = 0; i < hidden; i++) y[i] = from[i] == 0f ? 0f : x[i] * (to[i] / from[i]);
            x = y;
        }
        float[] out = new float[experts];
        for (int e = 0; e < experts; e++) {
            double s = 0;
            int off = e * hidden;
            for (int i = 0; i < hidden; i++) s += (double) w[off + i] * x[i];
            out[e] = (float) s + (biases != null && biases[layer + ahead] != null ? biases[layer + ahead][e] : 0f);
        }
        float[] bias = choiceBias == null ? null : choiceBias[layer + ahead];
        if (bias != null) { // a sigmoid router picks by sigmoid(logit) + bias: rank by the same score
            for (int e = 0; e < experts; e++) out[e] = (float) (1 / (1 + Math.exp(-out[e]))) + bias[e];
        }
        return out;
    }
}
