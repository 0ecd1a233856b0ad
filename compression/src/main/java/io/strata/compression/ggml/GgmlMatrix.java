// A weight matrix kept in a ggml block layout (the bytes of a GGUF tensor, or one expert of it).
package io.strata.compression.ggml;

import java.lang.foreign.MemorySegment;

/**
 * Row-major {@code [rows, cols]} weight whose rows are {@code cols / blockSize} ggml blocks each
 * ({@code nn.Linear.weight} order, as GGUF stores it with ne = [cols, rows]).
 *
 * @param data exactly {@code rows · cols / blockSize · typeSize} bytes
 */
public record GgmlMatrix(String name, GgmlType type, int rows, int cols, MemorySegment data) {
    public GgmlMatrix {
        if (!type.dequantizable) throw new IllegalArgumentException(name + ": no kernel for ggml type " + type);
        if (cols % type.blockSize != 0) {
            throw new IllegalArgumentException(name + ": " + cols + " columns is not a whole number of " + type + " blocks of " + type.blockSize);
        }
        long expected = rowBytes(type, cols) * rows;
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException(name + ": expected " + expected + " bytes for [" + rows + ", " + cols + "] " + type
                    + ", found " + data.byteSize());
        }
    }

    static long rowBytes(GgmlType t, int cols) {
        return (long) cols / t.blockSize * t.typeSize;
    }

    /** Bytes of one row. */
    public long rowBytes() {
        return rowBytes(type, cols);
    }
}
