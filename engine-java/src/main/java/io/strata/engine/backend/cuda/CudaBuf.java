// An f32 activation buffer in VRAM, as the CUDA backend hands it to model code.
package io.strata.engine.backend.cuda;

import io.strata.engine.backend.Buf;
import io.strata.kernels.cuda.DeviceBuffer;

/**
 * {@code length} f32 elements of device memory. Slices share the allocation; the backend frees it explicitly
 * ({@code Backend.free}) or when it closes.
 */
final class CudaBuf implements Buf {
    final DeviceBuffer owner;      // the allocation (null for memory the backend owns directly)
    final DeviceBuffer mem;        // exactly 4·length bytes
    private final int length;

    CudaBuf(DeviceBuffer owner, DeviceBuffer mem, int length) {
        this.owner = owner;
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
        return new CudaBuf(owner, mem.slice(4L * offset, 4L * len), len);
    }

    /** Elements [offset, offset+len) as a device buffer view. */
    DeviceBuffer at(int offset, int len) {
        return mem.slice(4L * offset, 4L * len);
    }
}
