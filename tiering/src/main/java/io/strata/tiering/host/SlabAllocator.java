// Supplies the host tier's memory: plain off-heap here; a GPU backend supplies pinned (page-locked) slabs.
package io.strata.tiering.host;

import java.lang.foreign.MemorySegment;

/** Allocates large aligned slabs that live until {@link #close()}. Implementations must be thread-safe. */
public interface SlabAllocator extends AutoCloseable {
    /** A slab of {@code bytes} bytes aligned to {@code alignment} (a power of two). */
    MemorySegment allocate(long bytes, long alignment);

    /** Bytes handed out so far. */
    long allocatedBytes();

    /** Largest slab this allocator hands out (pinned allocations are often limited, e.g. ≤ 2 GiB). */
    default long maxSlabBytes() {
        return 1L << 30;
    }

    /** What kind of memory this is, for logs and stats ("off-heap", "cuda pinned"). */
    String describe();

    @Override
    void close();
}
