// Plain off-heap slabs from a shared Arena (pageable memory): the CPU backend's host tier.
package io.strata.tiering.host;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

public final class ArenaSlabAllocator implements SlabAllocator {
    private final Arena arena = Arena.ofShared();
    private final AtomicLong allocated = new AtomicLong();

    @Override
    public MemorySegment allocate(long bytes, long alignment) {
        MemorySegment s = arena.allocate(bytes, alignment);
        allocated.addAndGet(bytes);
        return s;
    }

    @Override
    public long allocatedBytes() {
        return allocated.get();
    }

    @Override
    public String describe() {
        return "off-heap (Arena)";
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
