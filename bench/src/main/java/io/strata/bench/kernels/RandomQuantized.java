// Quantized matrices of random codes with valid parameters, for timing kernels (their speed does not depend on the values).
package io.strata.bench.kernels;

import io.strata.compression.quant.QuantFormat;
import io.strata.compression.quant.QuantizedMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

final class RandomQuantized {
    private RandomQuantized() {}

    /**
     * A [rows, cols] matrix of format f in a fresh page-aligned segment of arena: random code bytes, every group's f16
     * scale 0.01 and zero half the code range (valid values, so no NaN or infinity slows a kernel down).
     */
    static QuantizedMatrix matrix(Arena arena, QuantFormat f, int rows, int cols, SplittableRandom rnd) {
        MemorySegment m = arena.allocate(QuantizedMatrix.byteSize(f, rows, cols), 4096);
        for (long i = 0; i < m.byteSize() / 8; i++) m.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, rnd.nextLong());
        QuantizedMatrix q = QuantizedMatrix.view("w", f, rows, cols, m);
        validParams(q);
        return q;
    }

    /** Sets every group's f16 scale to 0.01 and zero to half the code range, over whatever bytes q holds. */
    static void validParams(QuantizedMatrix q) {
        MemorySegment m = q.data();
        QuantFormat f = q.format();
        long groups = (long) q.rows() * f.groupsPerRow(q.cols());
        short scale = Float.floatToFloat16(0.01f), zero = Float.floatToFloat16(f.maxCode() / 2f);
        for (long g = 0; g < groups; g++) {
            m.set(ValueLayout.JAVA_SHORT_UNALIGNED, q.scalesOffset() + 2 * g, scale);
            m.set(ValueLayout.JAVA_SHORT_UNALIGNED, q.zerosOffset() + 2 * g, zero);
        }
    }
}
