// What the prefetch metrics need from a store's statistics: how long demand acquires waited, per layer.
package io.strata.engine.predict;

/**
 * Read from the store's own per-layer statistics ({@link #of}). Counters are cumulative since the store was opened.
 */
public interface StallStatistics {
    /** Nanoseconds acquire() calls of layer spent blocked waiting for an expert to become resident. */
    long stallNanos(int layer);

    /** acquire() calls of layer that had to wait for a load from the SSD tier (a host hit is not one). */
    long misses(int layer);

    /** acquire() calls of layer. */
    long acquires(int layer);

    /** The per-layer counters of {@code store}'s statistics ({@link io.strata.tiering.stats.StoreStats}). */
    static StallStatistics of(io.strata.tiering.ExpertStore store) {
        return new StallStatistics() {
            @Override
            public long stallNanos(int layer) {
                return store.stats().stallNanos(layer);
            }

            @Override
            public long misses(int layer) {
                var s = store.stats();
                return layer < s.layers() ? s.layerMisses()[layer] : 0;
            }

            @Override
            public long acquires(int layer) {
                var s = store.stats();
                return layer < s.layers() ? s.layerAcquires()[layer] : 0;
            }
        };
    }
}
