// The three projections of one SwiGLU expert, in checkpoint orientation.
package io.strata.compression.codec;

import io.strata.compression.Matrix;

/**
 * One expert FFN {@code y = down · (SiLU(gate · x) ⊙ (up · x))} with {@code nn.Linear} weights
 * ({@code out_features, in_features}); Mixtral calls them w1 (gate), w3 (up), w2 (down).
 *
 * @param gate {@code [I, H]}  (intermediate, hidden)
 * @param up   {@code [I, H]}
 * @param down {@code [H, I]}
 */
public record ExpertWeights(Matrix gate, Matrix up, Matrix down) {
    public ExpertWeights {
        int i = gate.rows(), h = gate.cols();
        if (up.rows() != i || up.cols() != h) {
            throw new IllegalArgumentException("expert up " + up.name() + ": expected [" + i + ", " + h + "] like gate, found ["
                    + up.rows() + ", " + up.cols() + "]");
        }
        if (down.rows() != h || down.cols() != i) {
            throw new IllegalArgumentException("expert down " + down.name() + ": expected [" + h + ", " + i + "], found ["
                    + down.rows() + ", " + down.cols() + "]");
        }
    }

    /** H, the model's hidden size. */
    public int hidden() {
        return gate.cols();
    }

    /** I, the expert's intermediate size. */
    public int intermediate() {
        return gate.rows();
    }

    /** Weights in the expert: {@code 3·H·I}. */
    public long parameters() {
        return 3L * hidden() * intermediate();
    }
}
