// The dense matrix kernels of the CPU backend: one interface, a scalar twin and a Vector API version.
package io.strata.compression.kernel;

import io.strata.compression.Matrix;

/**
 * Matrix times vectors for dense F32/F16/BF16 weights, and the per-element ops of the forward
 * pass (norm, rotary embedding, SwiGLU gate, axpy).
 * Implementations: {@link ScalarDenseKernels} (the specification) and
 * {@link VectorDenseKernels}; pick one through {@link Kernels#dense()}. Every method is
 * single-threaded; callers split work.
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

    /**
     * RMSNorm of one token: {@code out[oo+i] = x[xo+i] · w[wo+i] / sqrt(Σ_j x[xo+j]² / dim + eps)},
     * i ∈ [0, dim). out may be x.
     */
    void rmsnorm(float[] x, int xo, float[] w, int wo, float[] out, int oo, int dim, float eps);

    /**
     * Rotary embedding of one token's heads, halves rotated (NeoX/HF layout): for each head h at
     * {@code o = off + h·headDim} and {@code i ∈ [0, headDim/2)}, the pair
     * {@code (a[o+i], a[o+i+headDim/2])} becomes {@code (x1·cos[i] − x2·sin[i], x2·cos[i] + x1·sin[i])}.
     *
     * @param cos (headDim/2) cosines of this token's angles
     * @param sin (headDim/2) sines of this token's angles
     */
    void rope(float[] a, int off, int heads, int headDim, float[] cos, float[] sin);

    /** SwiGLU gate: {@code o[oo+i] = g[go+i]·σ(g[go+i]) · u[uo+i]}, i ∈ [0, len). o may be g or u. */
    void siluMul(float[] g, int go, float[] u, int uo, float[] o, int oo, int len);

    /** {@code y[yo+i] += alpha · x[xo+i]}, i ∈ [0, len). */
    void axpy(float[] y, int yo, float[] x, int xo, float alpha, int len);

    /** {@code y[yo+i] += x[xo+i]}, i ∈ [0, len). */
    void add(float[] y, int yo, float[] x, int xo, int len);

    /** {@code x[xo+i] = min(hi, max(lo, x[xo+i]))}, i ∈ [0, len). */
    void clamp(float[] x, int xo, int len, float lo, float hi);
}
