// Activation buffers of the CUDA backend: owning device allocations, freed explicitly or when the backend closes.
package io.strata.engine.backend.cuda;

import io.strata.kernels.cuda.CudaContext;
import io.strata.kernels.cuda.DeviceBuffer;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * Model code allocates its activations once per model (a preallocated run state, as llama2.c's RunState) and frees
 * them when it grows them or closes; nothing here depends on the garbage collector. Every allocation first passes
 * {@code budgetCheck}, so the backend's VRAM budget stays a hard limit.
 */
final class DevicePool implements AutoCloseable {
    private final CudaContext ctx;
    private final LongConsumer budgetCheck;
    private final Set<DeviceBuffer> live = new LinkedHashSet<>();
    private long allocatedBytes;

    DevicePool(CudaContext ctx, LongConsumer budgetCheck) {
        this.ctx = ctx;
        this.budgetCheck = budgetCheck;
    }

    /** Rounds to the allocation granularity (256 bytes, the kernels' alignment). */
    static long sizeClass(long bytes) {
        return Math.max(256, (bytes + 255) & ~255L);
    }

    /** The power of two ≥ bytes (≥ 256): scratch that grows does so rarely. */
    static long pow2(long bytes) {
        long c = 256;
        while (c < bytes) c <<= 1;
        return c;
    }

    /** A buffer of {@code floats} f32 elements (not zeroed). */
    synchronized CudaBuf take(int floats) {
        long bytes = sizeClass(4L * Math.max(1, floats));
        budgetCheck.accept(bytes);
        DeviceBuffer whole = ctx.alloc(bytes, "activation-" + floats);
        live.add(whole);
        allocatedBytes += bytes;
        return new CudaBuf(whole, whole.slice(0, 4L * floats), floats);
    }

    /** Frees the allocation behind {@code b} (the caller has synchronised the stream that last used it). */
    synchronized void free(CudaBuf b) {
        if (b.owner != null && live.remove(b.owner)) {
            allocatedBytes -= b.owner.byteSize();
            b.owner.close();
        }
    }

    /** Device bytes this pool holds now. */
    synchronized long allocatedBytes() {
        return allocatedBytes;
    }

    @Override
    public synchronized void close() {
        for (DeviceBuffer b : live) b.close();
        live.clear();
        allocatedBytes = 0;
    }
}
