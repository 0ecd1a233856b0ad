// A block-scaled FP8 weight kept as its checkpoint bytes: E4M3 codes plus F32 scale_inv per block.
package io.strata.compression.fp8;

import java.lang.foreign.MemorySegment;

/**
 * {@code [rows, cols]} E4M3 codes, row-major, and {@code scales} of shape
 * {@code (ceil(rows / br), ceil(cols / bc))} as F32: W[r][c] = e4m3(codes[r][c]) · scales[r / br][c / bc]
 * (see {@link io.strata.compression.Fp8}).
 */
public record Fp8Matrix(String name, int rows, int cols, int br, int bc, MemorySegment codes, MemorySegment scales) {
    public Fp8Matrix {
        if (br <= 0 || bc <= 0) throw new IllegalArgumentException(name + ": block " + br + "x" + bc + " must be positive");
        if (codes.byteSize() != (long) rows * cols) {
            throw new IllegalArgumentException(name + ": expected " + (long) rows * cols + " code bytes for [" + rows + ", " + cols + "], found " + codes.byteSize());
        }
        long s = (long) scaleRows(rows, br) * scaleCols(cols, bc) * 4;
        if (scales.byteSize() != s) {
            throw new IllegalArgumentException(name + ": expected " + s + " bytes of F32 scales for " + br + "x" + bc + " blocks, found " + scales.byteSize());
        }
    }

    static int scaleRows(int rows, int br) {
        return (rows + br - 1) / br;
    }

    static int scaleCols(int cols, int bc) {
        return (cols + bc - 1) / bc;
    }

    public int scaleCols() {
        return scaleCols(cols, bc);
    }
}
