// The kernels of the compressed expert layouts: fused dequantize matrix-vector, and gathered bf16 rows for FloE.
package io.strata.compression.kernel;

import io.strata.compression.Matrix;
import io.strata.compression.quant.QuantizedMatrix;

/**
 * Matrix-vector kernels that read weights in their stored layout. Implementations:
 * {@link ScalarQuantKernels} (the specification) and {@link VectorQuantKernels}; pick one through
 * {@link Kernels#quant()}. The range methods compute a slice and are what threads
 * split; the default methods run a whole product over {@link Parallel}.
 */
public interface QuantKernels {
    /** Name for logs and benchmark output ("scalar", "vector-256"). */
    String name();

    /**
     * Fused dequantize-and-multiply without materialising W:
     * {@code out[t*rows + r] = Σ_c (q[r,c] − z[r,g])·s[r,g] · x[t*cols + c]} for rows
     * {@code r ∈ [r0, r1)}, tokens {@code t ∈ [0, n)}, {@code g = c / groupSize}.
     *
     * @param w   quantized {@code [rows, cols]}
     * @param x   (n, cols) row-major activations
     * @param out (n, rows) row-major results; rows outside [r0, r1) are not touched
     */
    void matmul(QuantizedMatrix w, float[] x, int n, float[] out, int r0, int r1);

    /**
     * Gathered row dot products (FloE gate rows): {@code out[k] = Σ_c W[rows[k], c] · x[c]} for
     * {@code k ∈ [k0, k1)}.
     *
     * @param w    BF16 {@code [R, H]}, row-major, one row per intermediate channel
     * @param rows (≥ k1) row indices into w
     * @param x    (H) activation
     * @param out  (≥ k1) one result per listed row
     */
    void gatherRowsDot(Matrix w, int[] rows, float[] x, float[] out, int k0, int k1);

    /**
     * Gathered row accumulation (FloE transposed down):
     * {@code y[c] += Σ_{k < count} h[k] · W[rows[k], c]} for columns {@code c ∈ [c0, c1)}.
     *
     * @param wT   BF16 {@code [R, H]}: the down projection transposed, row i = channel i
     * @param rows (≥ count) row indices into wT
     * @param h    (≥ count) one coefficient per listed row
     * @param y    (H) accumulated in place; columns outside [c0, c1) are not touched
     */
    void scatterRowsAxpy(Matrix wT, int[] rows, float[] h, int count, float[] y, int c0, int c1);

    /** {@code y = Ŵ·x} for one token over all rows, rows split across threads. x: (cols), y: (rows). */
    default void matvec(QuantizedMatrix w, float[] x, float[] y) {
        Parallel.forRange(w.rows(), 64, (a, b) -> matmul(w, x, 1, y, a, b));
    }

    /** {@link #gatherRowsDot} over {@code k ∈ [0, count)}, rows split across threads. */
    default void gatherRows(Matrix w, int[] rows, int count, float[] x, float[] out) {
        Parallel.forRange(count, 32, (a, b) -> gatherRowsDot(w, rows, x, out, a, b));
    }

    /**
     * {@link #scatterRowsAxpy} over all columns, split across threads in blocks of
     * {@value #COLUMN_BLOCK} columns (each thread owns a slice of y, so no reduction is needed).
     */
    default void scatterRows(Matrix wT, int[] rows, float[] h, int count, float[] y) {
        int cols = wT.cols(), blocks = (cols + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
        Parallel.forRange(blocks, 4, (a, b) -> scatterRowsAxpy(wT, rows, h, count, y, a * COLUMN_BLOCK,
                Math.min(cols, b * COLUMN_BLOCK)));
    }

    /** Columns per unit of parallel work in {@link #scatterRows}. */
    int COLUMN_BLOCK = 64;

    /** Checks that a gathered matrix is BF16 and the row indices are in range; {@code count} rows are used. */
    static void checkGathered(Matrix w, int[] rows, int count) {
        if (w.dtype() != io.strata.compression.DType.BF16) {
            throw new IllegalArgumentException(w.name() + ": gathered-row kernels need BF16 rows, found " + w.dtype());
        }
        if (rows.length < count) {
            throw new IllegalArgumentException(w.name() + ": " + count + " rows requested, index list holds " + rows.length);
        }
    }
}
