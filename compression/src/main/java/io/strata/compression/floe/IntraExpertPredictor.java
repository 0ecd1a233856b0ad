// FloE's intra-expert predictor: layer L+1's active channels guessed from layer L's hidden state.
package io.strata.compression.floe;

import io.strata.compression.kernel.QuantKernels;
import io.strata.compression.quant.QuantizedMatrix;

/**
 * Applies layer L+1's resident INT2 up projection to a hidden state available earlier (layer L's
 * output or its normalised input) and thresholds it with L+1's t: the channels whose gate and
 * down rows should start moving before layer L+1 runs. Cheap because the INT2 up is resident.
 */
public final class IntraExpertPredictor {
    private final QuantKernels kernels;

    public IntraExpertPredictor(QuantKernels kernels) {
        this.kernels = kernels;
    }

    /**
     * Predicted mask {@code |hidden·W_upᵀ| > t}.
     *
     * @param hidden (H) the early hidden state
     * @param upNext [I, H] layer L+1's quantized up projection of the expert
     * @param t      layer L+1's threshold
     * @return (I) predicted active channels
     */
    public boolean[] predict(float[] hidden, QuantizedMatrix upNext, float t) {
        if (hidden.length != upNext.cols()) {
            throw new IllegalArgumentException(upNext.name() + ": hidden state of length " + upNext.cols() + " expected, found " + hidden.length);
        }
        float[] v = new float[upNext.rows()];
        kernels.matvec(upNext, hidden, v);
        return maskOf(v, t);
    }

    /** {@code |v_i| > t} for each i. */
    public static boolean[] maskOf(float[] v, float t) {
        boolean[] m = new boolean[v.length];
        for (int i = 0; i < v.length; i++) m[i] = Math.abs(v[i]) > t;
        return m;
    }

    /** Recall and precision of the prediction against the true mask of the same expert. */
    public MaskQuality evaluate(float[] hidden, QuantizedMatrix upNext, float t, boolean[] trueMask) {
        return MaskQuality.of(predict(hidden, upNext, t), trueMask);
    }
}
