// The seam between the model and wherever experts live (DESIGN.md "Seams").
package io.strata.tiering;

import io.strata.tiering.stats.StatsRecorder;
import io.strata.tiering.stats.StoreStats;

/**
 * Serves experts by (layer, expert); the model never knows which tier served it.
 * Implementations must be thread-safe. Budgets given to an implementation are hard limits.
 */
public interface ExpertStore extends AutoCloseable {
    int numLayers();

    int numExperts();

    /**
     * Blocks until the expert is resident and returns a lease on it: plain data naming its layout and where its bytes
     * are (host memory, and the fast tier's copy when that is elsewhere, e.g. VRAM). The store alone decides residency.
     */
    ExpertHandle acquire(int layer, int expert);

    /** Where an acquire wants the expert's bytes: see {@link #acquire(int, int, Placement)}. */
    enum Placement {
        /** In the fast tier: admitted there (copied) if it is not a member yet. */
        FAST,
        /**
         * In host memory: not admitted to the fast tier, so the caller computes it from the host copy (a GPU run
         * computing a missed expert on the CPU). A fast member is still handed out with its fast copy.
         */
        HOST
    }

    /**
     * {@link #acquire(int, int)} with the caller's choice of where the bytes should be. A store without a separate fast
     * tier ignores the placement.
     */
    default ExpertHandle acquire(int layer, int expert, Placement placement) {
        return acquire(layer, expert);
    }

    /** Where (layer, expert) is now; never blocks. A store that cannot tell says {@link Residency#HOST}. */
    default Residency residency(int layer, int expert) {
        return Residency.HOST;
    }

    /** Hint: the expert will likely be needed soon. Never blocks; may be ignored. */
    default void prefetch(int layer, int expert) {}

    /**
     * The step being computed will acquire these experts of {@code layer} shortly: start their loads now, with the
     * demand loads, and keep them from eviction (by prefetches, and by the loads of the others) until acquired. The
     * MoE block calls it with all its experts before it waits on the first, so their loads overlap and a miss never
     * evicts another expert of its own step. Never blocks; may be ignored.
     */
    default void request(int layer, int... experts) {}

    /**
     * Withdraws the hint {@link #prefetch}(layer, expert): a load it queued that has not started is dropped and its
     * slot freed; one already reading may finish, and its expert then counts as an ordinary resident expert. Never
     * touches an expert that an acquire holds or waits for. Never blocks; may be ignored.
     */
    default void cancelPrefetch(int layer, int expert) {}

    /**
     * The engine is starting forward step {@code step} (the token index). Eviction policies use it as their clock
     * (recency and windowed frequency are counted in tokens). Optional: without it the store counts acquires.
     */
    default void beginStep(long step) {}

    /** The distinct layouts of the experts it serves (a backend must support each); empty when it cannot tell. */
    default java.util.List<ExpertLayout> layouts() {
        return java.util.List.of();
    }

    /** Told of each acquire once it returns: the tier that served it and how long the caller blocked (ns). */
    interface AcquireListener {
        void onAcquire(int layer, int expert, Tier servedFrom, long stallNanos);
    }

    /** Sets the one listener of acquires (null: none). A store that does not time its acquires ignores it. */
    default void listen(AcquireListener listener) {}

    /** Counters of every acquire so far (per-tier hits, bytes read, time waited); empty for a store without tiers. */
    default StoreStats stats() {
        return new StatsRecorder().snapshot();
    }

    @Override
    void close();
}
