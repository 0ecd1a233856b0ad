// The fastest tier: where compute reads experts from (VRAM on a GPU; the resident set on a CPU).
package io.strata.tiering.fast;

import io.strata.tiering.ExpertKey;
import java.lang.foreign.MemorySegment;

/**
 * Holds up to {@link #capacity()} experts. The store decides what enters and leaves (through its eviction
 * policy); the tier does the copies. The hierarchy is inclusive: every fast-resident expert also holds a host
 * slot (the store drops it from the fast tier before it frees the slot). Not thread-safe: the store calls it under
 * its lock.
 */
public interface FastTier extends AutoCloseable {
    /** Budget in bytes; a hard limit. */
    long budgetBytes();

    /** Experts it can hold at once. */
    int capacity();

    /**
     * Makes {@code key} resident from its host bytes ({@code hostRegion}, the expert's packed region).
     *
     * @return bytes copied (0 for a tier that serves the host slot in place)
     */
    long admit(ExpertKey key, MemorySegment hostRegion);

    /** Drops {@code key}. */
    void evict(ExpertKey key);

    String describe();

    @Override
    void close();
}
