// Counts how often each expert of each layer was chosen (a RoutingObserver).
package io.strata.engine.api;

import io.strata.engine.moe.RoutingObserver;
import java.util.concurrent.atomic.AtomicLongArray;

/** How often each expert of each layer was chosen; attach with {@code model().addObserver}. Thread-safe. */
public final class ExpertUsage implements RoutingObserver {
    private final int layers, experts;
    private final AtomicLongArray counts; // (layers, experts)

    /**
     * Zero counts.
     *
     * @param layers  layers of the model
     * @param experts experts per layer
     */
    public ExpertUsage(int layers, int experts) {
        this.layers = layers;
        this.experts = experts;
        this.counts = new AtomicLongArray(layers * experts);
    }

    @Override
    public void onRouted(int layer, int pos0, int[][] ids, float[][] weights) {
        for (int[] t : ids) for (int e : t) counts.incrementAndGet(layer * experts + e);
    }

    /**
     * Times an expert was chosen.
     *
     * @param layer  layer index
     * @param expert expert index
     * @return choices of that expert so far
     */
    public long count(int layer, int expert) {
        return counts.get(layer * experts + expert);
    }

    /**
     * Layers counted.
     *
     * @return the number of layers
     */
    public int layers() {
        return layers;
    }

    /**
     * Experts per layer.
     *
     * @return the number of experts
     */
    public int experts() {
        return experts;
    }

    /**
     * A table: one row per layer, one column per expert.
     *
     * @return each expert's share of its layer's choices, in %
     */
    public String table() {
        StringBuilder sb = new StringBuilder("expert choices per layer (% of the layer's choices)\nlayer");
        int shown = Math.min(experts, 16);
        for (int e = 0; e < shown; e++) sb.append(String.format("%6s", "e" + e));
        if (shown < experts) sb.append("  ...");
        sb.append('\n');
        for (int l = 0; l < layers; l++) {
            long tot = 0;
            for (int e = 0; e < experts; e++) tot += count(l, e);
            if (tot == 0) continue;
            sb.append(String.format("%5d", l));
            for (int e = 0; e < shown; e++) sb.append(String.format("%6.1f", 100.0 * count(l, e) / tot));
            sb.append('\n');
        }
        return sb.toString();
    }
}
