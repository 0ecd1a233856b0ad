// One MoE routing decision: the experts one layer chose for one token.
package io.strata.tiering.trace;

import java.util.Arrays;

/**
 * @param token   token index within the trace (0 = first token / prefill)
 * @param layer   MoE layer index
 * @param experts expert ids in rank order (highest router weight first) where the source records rank;
 *                sorted ids where it does not; length = the number of experts used (top-k, or all for prefill)
 * @param weights router weights parallel to {@code experts}, or an empty array when the source has none
 * @param pass    the forward pass that routed it, numbered from 0 in the order the recorder saw them (every token of a
 *                prompt batch shares one pass; a decode step is a pass of one token), or -1 where the source does not
 *                say (older traces, the Mixtral format)
 */
public record TraceStep(int token, int layer, int[] experts, float[] weights, int pass) {
    public TraceStep {
        if (weights.length != 0 && weights.length != experts.length) {
            throw new IllegalArgumentException("token " + token + " layer " + layer + ": expected " + experts.length
                    + " weights (one per expert), found " + weights.length);
        }
        if (pass < -1) {
            throw new IllegalArgumentException("token " + token + " layer " + layer + ": expected pass >= 0 (or -1: unknown), found " + pass);
        }
    }

    /** A step whose forward pass is not known. */
    public TraceStep(int token, int layer, int[] experts, float[] weights) {
        this(token, layer, experts, weights, -1);
    }

    /** Router weight of the i-th expert, or NaN when the trace has no weights. */
    public float weight(int i) {
        return weights.length == 0 ? Float.NaN : weights[i];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TraceStep s && s.token == token && s.layer == layer && s.pass == pass
                && Arrays.equals(s.experts, experts) && Arrays.equals(s.weights, weights);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * token + layer) + Arrays.hashCode(experts);
    }

    @Override
    public String toString() {
        return "token " + token + " layer " + layer + " experts " + Arrays.toString(experts);
    }
}
