// Bit layout and accuracy of the INT4/INT2 group-64 packing the fused kernels read (no GPU needed).
package io.strata.kernels.cuda;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.compression.Halfs;
import java.util.Random;
import org.junit.jupiter.api.Test;

class QuantPackingTest {
    @Test
    void int4PutsEvenColumnsInTheLowNibble() {
        float[] w = new float[64];
        for (int c = 0; c < 64; c++) w[c] = c % 16;  // min 0, max 15: scale 1, zero 0, q = value
        QuantPacking.Packed p = QuantPacking.pack("w", w, 1, 64, 4);
        assertEquals(32, p.q().length);
        assertEquals(0x10, p.q()[0] & 0xFF, "columns 0 (low) and 1 (high)");
        assertEquals(0xFE, p.q()[7] & 0xFF, "columns 14 (low) and 15 (high)");
        assertEquals(1f, Halfs.f16ToFloat(p.scales()[0]));
        assertEquals(0f, Halfs.f16ToFloat(p.zeros()[0]), 0f);
        for (int c = 0; c < 64; c++) assertEquals(w[c], p.get(0, c), "column " + c);
    }

    @Test
    void int2PacksFourColumnsPerByteFromBitZero() {
        float[] w = new float[128];
        for (int c = 0; c < 128; c++) w[c] = c % 4;  // scale 1, zero 0
        QuantPacking.Packed p = QuantPacking.pack("w", w, 1, 128, 2);
        assertEquals(32, p.q().length);
        assertEquals(2, p.scales().length);
        assertEquals(0b11_10_01_00, p.q()[0] & 0xFF, "columns 0..3 at bits 0,2,4,6");
        for (int c = 0; c < 128; c++) assertEquals(w[c], p.get(0, c), "column " + c);
    }

    @Test
    void roundTripErrorIsAtMostHalfAStep() {
        Random rnd = new Random(7);
        int rows = 13, cols = 192;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        for (int bits : new int[] {4, 2}) {
            QuantPacking.Packed p = QuantPacking.pack("w", w, rows, cols, bits);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    float scale = Halfs.f16ToFloat(p.scales()[r * (cols / 64) + c / 64]);
                    // half a step, plus the f16 rounding of zero (≤ 2^-11 relative) times scale
                    float bound = scale * (0.5f + 0.01f) + 1e-6f;
                    assertEquals(w[r * cols + c], p.get(r, c), bound, "bits " + bits + " at (" + r + ", " + c + ")");
                }
            }
        }
    }

    @Test
    void referenceMatmulUsesTheDequantizedValues() {
        float[] w = new float[2 * 64];
        for (int i = 0; i < w.length; i++) w[i] = i % 16;
        QuantPacking.Packed p = QuantPacking.pack("w", w, 2, 64, 4);
        float[] x = new float[64];
        x[3] = 2f;
        x[17] = -1f;
        float[] out = new float[2];
        QuantPacking.matmulReference(p, x, 1, out);
        assertEquals(2 * 3 - 1, out[0], 1e-6);
        assertEquals(2 * 3 - 1, out[1], 1e-6);
    }

    @Test
    void rejectsShapesTheKernelCannotRead() {
        assertThrows(IllegalArgumentException.class, () -> QuantPacking.pack("w", new float[13 * 100], 13, 100, 4));
        assertThrows(IllegalArgumentException.class, () -> QuantPacking.pack("w", new float[64], 1, 64, 8));
    }
}
