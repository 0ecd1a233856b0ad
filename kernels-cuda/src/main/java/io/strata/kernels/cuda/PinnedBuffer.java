// Page-locked host memory (cuMemHostAlloc): the source of truly asynchronous host-to-device copies.
package io.strata.kernels.cuda;

import static jcuda.driver.JCudaDriver.*;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import jcuda.driver.JCudaDriver;

/**
 * One pinned slab of at most {@link #MAX_SLAB_BYTES}, seen from Java as a {@link MemorySegment}.
 * Larger host tiers use several slabs (JCuda backs each allocation with an int-sized ByteBuffer).
 */
public final class PinnedBuffer implements AutoCloseable {
    /** 2 GiB minus a page: the largest a JCuda ByteBuffer view can describe. */
    public static final long MAX_SLAB_BYTES = (1L << 31) - 4096;

    private final CudaContext ctx;
    private final Cuda.HostPtr pointer;
    private final MemorySegment segment;
    private boolean freed;

    private PinnedBuffer(CudaContext ctx, Cuda.HostPtr pointer, MemorySegment segment) {
        this.ctx = ctx;
        this.pointer = pointer;
        this.segment = segment;
    }

    static PinnedBuffer allocate(CudaContext ctx, long bytes) {
        if (bytes <= 0 || bytes > MAX_SLAB_BYTES) {
            throw new IllegalArgumentException("pinned slab of " + bytes + " bytes: expected 1.." + MAX_SLAB_BYTES);
        }
        Cuda.HostPtr p = new Cuda.HostPtr();
        // PORTABLE: pinned for every context; the copy engines can DMA from it directly.
        Cuda.check(cuMemHostAlloc(p, bytes, JCudaDriver.CU_MEMHOSTALLOC_PORTABLE), "cuMemHostAlloc(" + bytes + " bytes)");
        long address;
        ByteBuffer view = p.getByteBuffer(0, 1);
        address = view != null ? MemorySegment.ofBuffer(view).address() : p.address();
        if (address == 0) throw new CudaException(0, "cuMemHostAlloc(" + bytes + " bytes) returned a null address");
        return new PinnedBuffer(ctx, p, MemorySegment.ofAddress(address).reinterpret(bytes));
    }

    /** The whole slab; valid until {@link #close()}. */
    public MemorySegment segment() {
        if (freed) throw new IllegalStateException("pinned buffer used after close");
        return segment;
    }

    public long byteSize() {
        return segment.byteSize();
    }

    public long address() {
        return segment.address();
    }

    @Override
    public void close() {
        if (freed) return;
        ctx.bind();
        Cuda.check(cuMemFreeHost(pointer), "cuMemFreeHost(" + segment.byteSize() + " bytes)");
        freed = true;
    }
}
