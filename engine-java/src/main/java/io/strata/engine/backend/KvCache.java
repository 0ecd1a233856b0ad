// Per-layer key/value cache of one sequence, owned by a backend.
package io.strata.engine.backend;

/** Keys and values per layer, laid out (position, kvHeads, headDim). */
public interface KvCache {
    int layers();

    /** Positions this cache can hold. */
    int capacity();

    int kvHeads();

    int headDim();

    /** Bytes of cache memory this cache holds now (it may grow towards {@link #capacity()} as positions are stored). */
    long bytes();
}
