// What the prefetch metrics need from a store's statistics: how long demand acquires waited, per layer.
package io.strata.engine.predict;

/**
 * Implemented by {@link TimedExpertStore}, and by an adapter over a tiered store's own per-tier statistics
 * where one is present. Counters are cumulative since the store was opened.
 */
public interface StallStatistics {
    /** Nanoseconds acquire() calls of layer spent blocked waiting for an expert to become resident. */
    long stallNanos(int layer);

    /** acquire() calls of layer that had to wait for a load from the SSD tier (a host hit is not one). */
    long misses(int layer);

    /** acquire() calls of layer. */
    long acquires(int layer);
}
