// Helpers of the GPU tests: random data, host matrices in each dtype, upload/download, tolerances.
package io.strata.kernels.cuda;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.compression.DType;
import io.strata.compression.Halfs;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;

final class GpuTestSupport {
    private GpuTestSupport() {}

    static {
        // Report asynchronous faults at the launch that caused them.
        System.setProperty("strata.cuda.checkLaunches", "true");
    }

    /** Skips the calling test class when no GPU is usable here. */
    static CudaContext requireGpu() {
        Assumptions.assumeTrue(CudaAvailability.available(), CudaAvailability.reason());
        return CudaContext.shared();
    }

    static float[] gaussian(Random rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian() * scale;
        return a;
    }

    /** A host matrix (rows, cols) of dtype with the values of {@code w} rounded to it. */
    static Matrix hostMatrix(String name, float[] w, DType dtype, int rows, int cols) {
        MemorySegment seg = Arena.ofAuto().allocate((long) rows * cols * dtype.bytes, 16);
        for (long i = 0; i < (long) rows * cols; i++) {
            switch (dtype) {
                case F32 -> seg.setAtIndex(Layouts.F32, i, w[(int) i]);
                case BF16 -> seg.setAtIndex(Layouts.I16, i, Halfs.floatToBf16(w[(int) i]));
                case F16 -> seg.setAtIndex(Layouts.I16, i, Halfs.floatToF16(w[(int) i]));
                default -> throw new IllegalArgumentException(dtype.toString());
            }
        }
        return new Matrix(name, seg, dtype, rows, cols);
    }

    static DeviceBuffer upload(CudaContext ctx, float[] a, String label) {
        DeviceBuffer b = ctx.alloc(Math.max(4L, 4L * a.length), label);
        if (a.length > 0) b.upload(a);
        return b;
    }

    static DeviceBuffer upload(CudaContext ctx, int[] a, String label) {
        DeviceBuffer b = ctx.alloc(Math.max(4L, 4L * a.length), label);
        if (a.length > 0) b.upload(a);
        return b;
    }

    /** (count) f32 on the device filled with NaN, so an element the kernel fails to write fails the check. */
    static DeviceBuffer poisoned(CudaContext ctx, long count, String label) {
        float[] nan = new float[(int) Math.max(1, count)];
        java.util.Arrays.fill(nan, Float.NaN);
        return upload(ctx, nan, label);
    }

    /**
     * |got − want| ≤ rel·scale + abs for every element, where scale is the magnitude the sum was
     * built from (Σ|terms|), so long dot products get a proportionate bound.
     */
    static void assertClose(float[] want, float[] got, float[] scale, double rel, double abs, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            double bound = rel * (scale == null ? Math.abs(want[i]) : scale[i]) + abs;
            if (!(Math.abs(want[i] - got[i]) <= bound)) {
                fail(what + ": element " + i + " expected " + want[i] + " found " + got[i] + " (bound " + bound + ")");
            }
        }
    }
}
