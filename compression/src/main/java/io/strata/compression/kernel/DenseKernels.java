// The dense matrix kernels of the CPU backend: one interface, a scalar twin and a Vector API version.
package io.strata.compression.kernel;

import io.strata.compression.Matrix;

/**
 * Matrix times vectors for dense F32/F16/BF16 weights.
 * Implementations: {@link ScalarDenseKernels} (the specification) and
 * {@link VectorDenseKernels}; pick one through {@link Kernels#dense()}.
 */
public interface DenseKernels {
    /** Name for logs and benchmark output ("scalar", "vector-256"). */
    String name();

    /**
     * {@code out[t*w.rows() + r] = Σ_c W[r,c] · x[t*w.cols() + c]} for rows {@code r ∈ [r0, r1)}
     * and tokens {@code t ∈ [0, n)}.
     *
     * @param x   (n, cols) row-major activations
     * @param out (n, rows) row-major results; rows outside [r0, r1) are not touched
     */
    void matmul(Matrix w, float[] x, int n, float[] out, int r0, int r1);

    /** Σ a[ao+i]·b[bo+i], i ∈ [0, len). */
    float dot(float[] a, int ao, float[] b, int bo, int len);
}
