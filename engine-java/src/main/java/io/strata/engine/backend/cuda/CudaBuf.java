// An f32 activation buffer in VRAM, as the CUDA backend hands it to model code.
package io.strata.engine.backend.cuda;

import io.strata.engine.backend.Buf;
import io.strata.kernels.cuda.DeviceBuffer;

/**
 * {@code length} f32 elements of device memory. Slices share the allocation and keep its
 * {@link DevicePool.Block} reachable; the memory returns to the pool once no view is reachable.
 */
final class CudaBuf implements Buf {
    final DevicePool.Block block;  // owner of the allocation (null for memory the backend owns directly)
    final DeviceBuffer mem;        // exactly 4·length bytes
    private final int length;

    CudaBuf(DevicePool.Block block, DeviceBuffer mem, int length) {
        this.block = block;
        this.mem = mem;
        this.length = length;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public Buf slice(int offset, int len) {
        if (offset < 0 || len < 0 || offset + len > length) {
            throw new IndexOutOfBoundsException("slice [" + offset + ", " + (offset + len) + ") of a CUDA buffer of " + length);
        }
        return new CudaBuf(block, mem.slice(4L * offset, 4L * len), len);
    }

    /** Elements [offset, offset+len) as a device buffer view. */
    DeviceBuffer at(int offset, int len) {
        return mem.slice(4L * offset, 4L * len);
    }
}
