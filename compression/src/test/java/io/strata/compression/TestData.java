// Test fixtures: dense matrices from float arrays, seeded random and heavy-tailed weights, error norms.
package io.strata.compression;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

public final class TestData {
    private TestData() {}

    /** {@code (rows, cols)} row-major floats as an F32 or BF16 matrix (BF16 rounds each value). */
    public static Matrix matrix(String name, float[] v, int rows, int cols, DType dtype) {
        MemorySegment seg = Arena.ofAuto().allocate((long) rows * cols * dtype.bytes, 64);
        for (int i = 0; i < rows * cols; i++) {
            switch (dtype) {
                case F32 -> seg.setAtIndex(Layouts.F32, i, v[i]);
                case BF16 -> seg.setAtIndex(Layouts.I16, i, Halfs.floatToBf16(v[i]));
                case F16 -> seg.setAtIndex(Layouts.I16, i, Halfs.floatToF16(v[i]));
                default -> throw new IllegalArgumentException(dtype.toString());
            }
        }
        return new Matrix(name, seg, dtype, rows, cols);
    }

    /** Gaussian values with standard deviation {@code std}. */
    public static float[] gaussian(Random rnd, int n, float std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian() * std;
        return v;
    }

    /** Heavy-tailed values: Student-t with 3 degrees of freedom, scaled by {@code std}. */
    public static float[] heavyTailed(Random rnd, int n, float std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            double chi2 = 0;
            for (int k = 0; k < 3; k++) {
                double g = rnd.nextGaussian();
                chi2 += g * g;
            }
            v[i] = (float) (rnd.nextGaussian() / Math.sqrt(chi2 / 3) * std);
        }
        return v;
    }

    /** Every value of a matrix as floats, row-major. */
    public static float[] values(Matrix m) {
        float[] v = new float[m.rows() * m.cols()];
        for (int r = 0; r < m.rows(); r++) for (int c = 0; c < m.cols(); c++) v[r * m.cols() + c] = m.get(r, c);
        return v;
    }

    /** ‖a − b‖₂ / ‖a‖₂. */
    public static double relErr(float[] a, float[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            num += d * d;
            den += (double) a[i] * a[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-30));
    }

    /** ‖a − b‖₂². */
    public static double sqErr(float[] a, float[] b) {
        double num = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            num += d * d;
        }
        return num;
    }
}
