// A recorded sequence of MoE routing decisions, sorted by (token, layer).
package io.strata.tiering.trace;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A routing trace: for every token and MoE layer, the experts the router chose.
 *
 * @param model      model name from the header (free text)
 * @param numLayers  MoE layers in the model
 * @param numExperts routed experts per layer
 * @param topK       experts per token in decode (prefill steps may list more)
 * @param steps      sorted by (token, layer); tokens are 0..numTokens-1 without gaps
 */
public record RoutingTrace(String model, int numLayers, int numExperts, int topK, List<TraceStep> steps) {
    public RoutingTrace {
        steps = List.copyOf(steps);
        for (TraceStep s : steps) {
            if (s.layer() < 0 || s.layer() >= numLayers) {
                throw new IllegalArgumentException(s + ": layer outside [0, " + numLayers + ")");
            }
            for (int e : s.experts()) {
                if (e < 0 || e >= numExperts) {
                    throw new IllegalArgumentException(s + ": expert " + e + " outside [0, " + numExperts + ")");
                }
            }
        }
    }

    /** Sorts steps by (token, layer) — recorders may write layer-major within a prompt. */
    public static RoutingTrace sorted(String model, int numLayers, int numExperts, int topK, List<TraceStep> steps) {
        List<TraceStep> s = new ArrayList<>(steps);
        s.sort(Comparator.comparingInt(TraceStep::token).thenComparingInt(TraceStep::layer));
        return new RoutingTrace(model, numLayers, numExperts, topK, s);
    }

    /** Number of distinct tokens (last token index + 1). */
    public int numTokens() {
        return steps.isEmpty() ? 0 : steps.getLast().token() + 1;
    }

    /** Total expert requests (sum of experts over all steps). */
    public long numRequests() {
        long n = 0;
        for (TraceStep s : steps) {
            n += s.experts().length;
        }
        return n;
    }

    /** The first token of the held-out part when the first {@code fraction} of tokens is used for training. */
    public int splitToken(double fraction) {
        if (fraction < 0 || fraction >= 1) {
            throw new IllegalArgumentException("holdout fraction must be in [0, 1), found " + fraction);
        }
        return (int) Math.floor(numTokens() * fraction);
    }

    /** The steps with token in [fromToken, toToken). */
    public List<TraceStep> tokens(int fromToken, int toToken) {
        List<TraceStep> out = new ArrayList<>();
        for (TraceStep s : steps) {
            if (s.token() >= fromToken && s.token() < toToken) {
                out.add(s);
            }
        }
        return out;
    }
}
