// Hooks into each MoE call: statistics, trace recording and expert prediction plug in here.
package io.strata.engine.moe;

import io.strata.engine.backend.Buf;

public interface RoutingObserver {
    /**
     * Called before the router of layer runs, with its input.
     *
     * @param hidden (n, hidden) post-attention normalised hidden states of tokens pos0 .. pos0+n-1
     */
    default void beforeRouting(int layer, int pos0, int n, Buf hidden) {}

    /**
     * Called once the plan of layer is known.
     *
     * @param layer   layer index
     * @param pos0    position of the first of the n tokens
     * @param experts (n, k) expert ids in rank order per token
     * @param weights (n, k) combine weights
     */
    default void onRouted(int layer, int pos0, int[][] experts, float[][] weights) {}
}
