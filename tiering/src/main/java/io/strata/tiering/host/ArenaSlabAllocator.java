// Plain off-heap slabs (pageable memory, in 2 MiB pages where Linux grants them): the CPU backend's host tier.
package io.strata.tiering.host;

import io.strata.compression.HugePages;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

public final class ArenaSlabAllocator implements SlabAllocator {
    private final Arena arena = Arena.ofShared();
    private final AtomicLong allocated = new AtomicLong();

    @Override
    public MemorySegment allocate(long bytes, long alignment) {
        // the CPU computes experts from these bytes at the memory's rate, which 2 MiB pages raise (see HugePages)
        MemorySegment s = HugePages.allocate(arena, bytes, alignment);
        allocated.addAndGet(bytes);
        return s;
    }

    @Override
    public long allocatedBytes() {
        return allocated.get();
    }

    @Override
    public String describe() {
        return HugePages.available() ? "off-heap (Arena, 2 MiB pages requested)" : "off-heap (Arena)";
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
