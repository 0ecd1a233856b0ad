// Plain-Java kernels for quantized and gathered-row layouts: the specification of the vector versions.
package io.strata.compression.kernel;

import io.strata.compression.Halfs;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import io.strata.compression.quant.QuantFormat;
import io.strata.compression.quant.QuantizedMatrix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

public final class ScalarQuantKernels implements QuantKernels {
    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void matmul(QuantizedMatrix w, float[] x, int n, float[] out, int r0, int r1) {
        QuantFormat f = w.format();
        int rows = w.rows(), cols = w.cols(), gs = f.groupSize(), groups = f.groupsPerRow(cols);
        int[] codes = new int[cols]; // (cols) codes of one row
        for (int r = r0; r < r1; r++) {
            unpackRow(w, r, codes);
            for (int t = 0; t < n; t++) {
                int xo = t * cols;
                float acc = 0f;
                for (int g = 0; g < groups; g++) {
                    float s = w.scale(r, g), z = w.zero(r, g);
                    for (int c = g * gs; c < (g + 1) * gs; c++) acc += (codes[c] - z) * s * x[xo + c];
                }
                out[t * rows + r] = acc;
            }
        }
    }

    /** Codes of row r into {@code codes[0 .. cols)}, following the packing in {@link QuantizedMatrix}. */
    static void unpackRow(QuantizedMatrix w, int r, int[] codes) {
        int cols = w.cols(), bits = w.format().bits();
        MemorySegment d = w.data();
        long base = r * w.format().codeBytesPerRow(cols);
        switch (bits) {
            case 8 -> {
                for (int c = 0; c < cols; c++) codes[c] = d.get(ValueLayout.JAVA_BYTE, base + c) & 0xFF;
            }
            case 4, 2 -> {
                int per = 8 / bits, mask = (1 << bits) - 1;
                for (int c = 0; c < cols; c += per) {
                    int b = d.get(ValueLayout.JAVA_BYTE, base + c / per) & 0xFF;
                    for (int j = 0; j < per; j++) codes[c + j] = (b >>> (bits * j)) & mask;
                }
            }
            case 3 -> {
                for (int c = 0; c < cols; c += 8) {
                    long o = base + 3L * (c / 8);
                    int v = (d.get(ValueLayout.JAVA_BYTE, o) & 0xFF) | (d.get(ValueLayout.JAVA_BYTE, o + 1) & 0xFF) << 8
                            | (d.get(ValueLayout.JAVA_BYTE, o + 2) & 0xFF) << 16;
                    for (int j = 0; j < 8; j++) codes[c + j] = (v >>> (3 * j)) & 7;
                }
            }
            default -> throw new IllegalStateException("bits " + bits);
        }
    }

    @Override
    public void gatherRowsDot(Matrix w, int[] rows, float[] x, float[] out, int k0, int k1) {
        QuantKernels.checkGathered(w, rows, k1);
        int cols = w.cols();
        MemorySegment d = w.data();
        for (int k = k0; k < k1; k++) {
            long base = (long) rows[k] * cols;
            float acc = 0f;
            for (int c = 0; c < cols; c++) acc += Halfs.bf16ToFloat(d.getAtIndex(Layouts.I16, base + c)) * x[c];
            out[k] = acc;
        }
    }

    @Override
    public void scatterRowsAxpy(Matrix wT, int[] rows, float[] h, int count, float[] y, int c0, int c1) {
        QuantKernels.checkGathered(wT, rows, count);
        int cols = wT.cols();
        MemorySegment d = wT.data();
        for (int k = 0; k < count; k++) {
            long base = (long) rows[k] * cols;
            float hk = h[k];
            for (int c = c0; c < c1; c++) y[c] += hk * Halfs.bf16ToFloat(d.getAtIndex(Layouts.I16, base + c));
        }
    }
}
