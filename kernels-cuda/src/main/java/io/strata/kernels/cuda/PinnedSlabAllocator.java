// Pinned (page-locked) slabs for the tiered store's host tier, so expert copies to VRAM are asynchronous.
package io.strata.kernels.cuda;

import io.strata.tiering.host.SlabAllocator;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Hands the host tier {@code cuMemHostAlloc} slabs of at most {@link PinnedBuffer#MAX_SLAB_BYTES}.
 * From pageable memory the driver stages every host-to-device copy through its own pinned
 * buffer and the "async" copy blocks the caller; from these slabs the copy engine reads directly
 * and the copy overlaps compute.
 */
public final class PinnedSlabAllocator implements SlabAllocator {
    private final CudaContext ctx;
    private final List<PinnedBuffer> slabs = new ArrayList<>();
    private long allocated;

    public PinnedSlabAllocator(CudaContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public synchronized MemorySegment allocate(long bytes, long alignment) {
        PinnedBuffer p = ctx.allocPinned(bytes);
        if (p.address() % alignment != 0) {
            p.close();
            throw new IllegalStateException("cuMemHostAlloc returned an address aligned to less than " + alignment + " bytes");
        }
        slabs.add(p);
        allocated += bytes;
        return p.segment();
    }

    @Override
    public synchronized long allocatedBytes() {
        return allocated;
    }

    @Override
    public long maxSlabBytes() {
        return PinnedBuffer.MAX_SLAB_BYTES;
    }

    @Override
    public String describe() {
        return "CUDA pinned (cuMemHostAlloc)";
    }

    @Override
    public synchronized void close() {
        for (PinnedBuffer p : slabs) p.close();
        slabs.clear();
    }
}
