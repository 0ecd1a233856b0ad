// Plain-Java dense kernels: the reference every faster kernel is checked against.
package io.strata.compression.kernel;

import io.strata.compression.Halfs;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import java.lang.foreign.MemorySegment;

public final class ScalarDenseKernels implements DenseKernels {
    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void matmul(Matrix w, float[] x, int n, float[] out, int r0, int r1) {
        int cols = w.cols(), rows = w.rows();
        MemorySegment seg = w.data();
        for (int r = r0; r < r1; r++) {
            long base = (long) r * cols;
            for (int t = 0; t < n; t++) {
                int xo = t * cols;
                float acc = 0f;
                switch (w.dtype()) {
                    case F32 -> {
                        for (int c = 0; c < cols; c++) acc += seg.getAtIndex(Layouts.F32, base + c) * x[xo + c];
                    }
                    case BF16 -> {
                        for (int c = 0; c < cols; c++) acc += Halfs.bf16ToFloat(seg.getAtIndex(Layouts.I16, base + c)) * x[xo + c];
                    }
                    case F16 -> {
                        for (int c = 0; c < cols; c++) acc += Halfs.f16ToFloat(seg.getAtIndex(Layouts.I16, base + c)) * x[xo + c];
                    }
                    default -> throw new IllegalArgumentException(w.name() + ": unsupported dtype " + w.dtype());
                }
                out[t * rows + r] = acc;
            }
        }
    }

    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int len) {
        float acc = 0f;
        for (int i = 0; i < len; i++) acc += a[ao + i] * b[bo + i];
        return acc;
    }

    @Override
    public void rmsnorm(float[] x, int xo, float[] w, int wo, float[] out, int oo, int dim, float eps) {
        double ss = 0;
        for (int i = 0; i < dim; i++) ss += (double) x[xo + i] * x[xo + i];
        float inv = (float) (1.0 / Math.sqrt(ss / dim + eps));
        for (int i = 0; i < dim; i++) out[oo + i] = x[xo + i] * inv * w[wo + i];
    }

    @Override
    public void rope(float[] a, int off, int heads, int headDim, float[] cos, float[] sin) {
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            int o = off + h * headDim;
            for (int i = 0; i < half; i++) {
                float x1 = a[o + i], x2 = a[o + i + half];
                a[o + i] = x1 * cos[i] - x2 * sin[i];
                a[o + i + half] = x2 * cos[i] + x1 * sin[i];
            }
        }
    }

    @Override
    public void siluMul(float[] g, int go, float[] u, int uo, float[] o, int oo, int len) {
        for (int i = 0; i < len; i++) {
            float x = g[go + i];
            o[oo + i] = x / (1f + (float) Math.exp(-x)) * u[uo + i];
        }
    }

    @Override
    public void axpy(float[] y, int yo, float[] x, int xo, float alpha, int len) {
        for (int i = 0; i < len; i++) y[yo + i] += alpha * x[xo + i];
    }

    @Override
    public void add(float[] y, int yo, float[] x, int xo, int len) {
        for (int i = 0; i < len; i++) y[yo + i] += x[xo + i];
    }

    @Override
    public void clamp(float[] x, int xo, int len, float lo, float hi) {
        for (int i = 0; i < len; i++) x[xo + i] = Math.max(lo, Math.min(hi, x[xo + i]));
    }
}
