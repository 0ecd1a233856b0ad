// The seam between the model and wherever experts live (DESIGN.md "Seams").
package io.strata.tiering;

/**
 * Serves experts by (layer, expert); the model never knows which tier served it.
 * Implementations must be thread-safe. Budgets given to an implementation are hard limits.
 */
public interface ExpertStore extends AutoCloseable {
    int numLayers();

    int numExperts();

    /** Blocks until the expert is resident and returns a lease on it. */
    ExpertHandle acquire(int layer, int expert);

    /** Hint: the expert will likely be needed soon. Never blocks; may be ignored. */
    default void prefetch(int layer, int expert) {}

    @Override
    void close();
}
