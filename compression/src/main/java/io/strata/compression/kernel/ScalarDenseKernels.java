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
}
