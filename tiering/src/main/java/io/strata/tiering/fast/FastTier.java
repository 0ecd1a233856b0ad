// The fastest tier: where compute reads experts from (VRAM on a GPU; the resident set on a CPU).
package io.strata.tiering.fast;

import io.strata.tiering.ExpertKey;
import java.lang.foreign.MemorySegment;

/**
 * Holds up to {@link #capacity()} experts. The store decides what enters and leaves (through its eviction
 * policy); the tier only does the copies. The hierarchy is inclusive: every fast-resident expert also holds a host
 * slot (the store drops it from the fast tier before it frees the slot). Not thread-safe: the store calls it under
 * its lock.
 */
public interface FastTier extends AutoCloseable {
    /** Budget in bytes; a hard limit. */
    long budgetBytes();

    /** Experts it can hold at once. */
    int capacity();

    /**
     * Makes {@code key} resident from its host bytes.
     *
     * @param parts the expert's host segments, in the order the compute addresses them (gate, up, down for a dense
     *              expert; the blob for an encoded one)
     * @return where it now lives; the copies may still be in flight (see {@link FastSlot#ready()})
     */
    FastSlot admit(ExpertKey key, MemorySegment[] parts);

    /**
     * The last lease reading {@code key} from this tier ended: compute queued on it so far must finish before its
     * slot is reused (a GPU tier records an event on the compute stream). Called under the store's lock.
     */
    default void released(ExpertKey key) {}

    /**
     * Part {@code part} of resident {@code key} changed in host memory at bytes [offset, offset + src.byteSize()) (a FloE
     * expert's rows loaded after admission): a tier holding a copy elsewhere copies those bytes too, ordered before any
     * compute that waits on the slot's {@link FastSlot#ready()} afterwards. A tier serving in place does nothing.
     */
    default void update(ExpertKey key, int part, long offset, MemorySegment src) {}

    /** Drops {@code key}. */
    void evict(ExpertKey key);

    String describe();

    @Override
    void close();
}
