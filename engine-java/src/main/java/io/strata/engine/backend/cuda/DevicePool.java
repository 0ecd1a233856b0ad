// Recycles device allocations of activation buffers: model code allocates per forward pass and
// never frees, so a buffer's memory goes back to a free list when its Java object is collected.
package io.strata.engine.backend.cuda;

import io.strata.kernels.cuda.CudaContext;
import io.strata.kernels.cuda.DeviceBuffer;
import java.lang.ref.Cleaner;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Size classes are powers of two (≥ 256 bytes). Reuse is safe without events because every use of
 * an activation buffer is ordered on the backend's one compute stream: work queued on memory
 * before its owner became unreachable runs before any work queued by its next owner.
 */
final class DevicePool implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();
    private final CudaContext ctx;
    private final Map<Long, ArrayDeque<DeviceBuffer>> free = new HashMap<>();
    private long allocatedBytes;
    private boolean closed;

    /** The owner object whose reachability decides when the allocation is recycled. */
    static final class Block {
        final long sizeClass;

        Block(long sizeClass) {
            this.sizeClass = sizeClass;
        }
    }

    DevicePool(CudaContext ctx) {
        this.ctx = ctx;
    }

    static long sizeClass(long bytes) {
        long c = 256;
        while (c < bytes) c <<= 1;
        return c;
    }

    /** A buffer of {@code floats} f32 elements (not zeroed). */
    CudaBuf take(int floats) {
        long bytes = Math.max(4L, 4L * floats);
        long cls = sizeClass(bytes);
        DeviceBuffer whole;
        synchronized (this) {
            ArrayDeque<DeviceBuffer> q = free.get(cls);
            whole = q == null ? null : q.poll();
        }
        if (whole == null) {
            whole = ctx.alloc(cls, "activation-" + cls);
            synchronized (this) {
                allocatedBytes += cls;
            }
        }
        Block block = new Block(cls);
        final DeviceBuffer recycled = whole;
        CLEANER.register(block, () -> giveBack(cls, recycled));
        return new CudaBuf(block, whole.slice(0, 4L * floats), floats);
    }

    private synchronized void giveBack(long cls, DeviceBuffer b) {
        if (closed) return;
        free.computeIfAbsent(cls, c -> new ArrayDeque<>()).push(b);
    }

    /** Device bytes this pool has allocated (in use or free). */
    synchronized long allocatedBytes() {
        return allocatedBytes;
    }

    /** Frees the free lists; buffers still referenced stay allocated until the context goes. */
    @Override
    public synchronized void close() {
        for (ArrayDeque<DeviceBuffer> q : free.values()) for (DeviceBuffer b : q) b.close();
        free.clear();
        closed = true;
    }
}
