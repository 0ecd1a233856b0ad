// A dense row-major weight matrix resident in device memory.
package io.strata.kernels.cuda;

import io.strata.compression.DType;
import io.strata.compression.Matrix;

/**
 * {@code [rows, cols]} of {@code dtype} (F32, F16 or BF16), row-major, in {@code data}
 * (exactly rows·cols·dtype.bytes bytes), as checkpoints store nn.Linear weights.
 */
public record DeviceMatrix(String name, DeviceBuffer data, DType dtype, int rows, int cols) {
    public DeviceMatrix {
        if (!dtype.isFloat()) throw new IllegalArgumentException(name + ": weight dtype must be F32, F16 or BF16, found " + dtype);
        long expected = (long) rows * cols * dtype.bytes;
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException(name + ": expected " + expected + " bytes for [" + rows + ", " + cols + "] "
                    + dtype + ", found " + data.byteSize());
        }
    }

    /** Uploads a host matrix into a new device allocation (synchronous). */
    public static DeviceMatrix upload(CudaContext ctx, Matrix m) {
        DeviceBuffer b = ctx.alloc(m.byteSize(), m.name());
        b.copyFromHost(m.data(), 0);
        return new DeviceMatrix(m.name(), b, m.dtype(), m.rows(), m.cols());
    }

    /** A device view of a host matrix's layout on {@code data} (e.g. a VRAM cache slot). */
    public static DeviceMatrix view(DeviceBuffer data, Matrix like) {
        return new DeviceMatrix(like.name(), data, like.dtype(), like.rows(), like.cols());
    }

    public long byteSize() {
        return data.byteSize();
    }
}
