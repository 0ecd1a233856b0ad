// A dense row-major weight matrix held in (usually off-heap or mapped) memory.
package io.strata.compression;

import java.lang.foreign.MemorySegment;

/**
 * Row-major matrix {@code [rows, cols]} of {@code dtype} elements, little endian,
 * as checkpoints store {@code nn.Linear.weight} ({@code out_features, in_features}).
 *
 * @param name  a label for errors (the checkpoint tensor name)
 * @param data  exactly {@code rows * cols * dtype.bytes} bytes
 */
public record Matrix(String name, MemorySegment data, DType dtype, int rows, int cols) {
    public Matrix {
        if (!dtype.isFloat()) {
            throw new IllegalArgumentException(name + ": weight dtype must be F32, F16 or BF16, found " + dtype);
        }
        long expected = (long) rows * cols * dtype.bytes;
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException(name + ": expected " + expected + " bytes for [" + rows + ", " + cols
                    + "] " + dtype + ", found " + data.byteSize());
        }
    }

    public long byteSize() {
        return data.byteSize();
    }

    /** Element (r, c) as float (slow path: tests and references). */
    public float get(int r, int c) {
        long i = (long) r * cols + c;
        return switch (dtype) {
            case F32 -> data.getAtIndex(Layouts.F32, i);
            case BF16 -> Halfs.bf16ToFloat(data.getAtIndex(Layouts.I16, i));
            case F16 -> Halfs.f16ToFloat(data.getAtIndex(Layouts.I16, i));
            default -> throw new IllegalStateException();
        };
    }

    /** Rows {@code [from, to)} as a matrix view on the same memory. */
    public Matrix rows(int from, int to) {
        long rowBytes = (long) cols * dtype.bytes;
        return new Matrix(name + "[" + from + ":" + to + "]", data.asSlice(from * rowBytes, (to - from) * rowBytes),
                dtype, to - from, cols);
    }
}
