// Round trips of group quantization against an independent scalar RTN reference, hand-packed bytes and error bounds.
package io.strata.compression.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.compression.DType;
import io.strata.compression.Halfs;
import io.strata.compression.Matrix;
import io.strata.compression.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class QuantizedMatrixTest {
    static final int[] BITS = {2, 3, 4, 8};
    static final int[] GROUPS = {32, 64, 128};

    /** Plain min-max round-to-nearest, written out independently of HqqFit: the reference. */
    static float[] referenceRtn(float[] w, int rows, int cols, QuantFormat f) {
        float[] out = new float[w.length];
        int gs = f.groupSize(), maxq = f.maxCode();
        for (int r = 0; r < rows; r++) {
            for (int g0 = 0; g0 < cols; g0 += gs) {
                float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
                for (int j = 0; j < gs; j++) {
                    min = Math.min(min, w[r * cols + g0 + j]);
                    max = Math.max(max, w[r * cols + g0 + j]);
                }
                float s = f16((max - min) / maxq);
                float z = f16(-min / ((max - min) / maxq));
                for (int j = 0; j < gs; j++) {
                    int q = Math.round(w[r * cols + g0 + j] / s + z);
                    q = Math.max(0, Math.min(maxq, q));
                    out[r * cols + g0 + j] = (q - z) * s;
                }
            }
        }
        return out;
    }

    static float f16(float v) {
        return Halfs.f16ToFloat(Halfs.floatToF16(v));
    }

    @Test
    void rtnMatchesIndependentReferenceForEveryFormat() {
        Random rnd = new Random(1);
        for (int bits : BITS) {
            for (int gs : GROUPS) {
                QuantFormat f = new QuantFormat(bits, gs);
                int rows = 13, cols = 2 * gs;
                float[] w = TestData.gaussian(rnd, rows * cols, 0.02f);
                QuantizedMatrix q = QuantizedMatrix.encode(TestData.matrix("w", w, rows, cols, DType.F32), f, HqqFit.RTN, Arena.ofAuto());
                assertArrayEquals(referenceRtn(w, rows, cols, f), q.dequantize(), 0f, f.label());
            }
        }
    }

    @Test
    void valuesOnTheGridReconstructExactly() {
        Random rnd = new Random(2);
        for (int bits : BITS) {
            for (int gs : GROUPS) {
                QuantFormat f = new QuantFormat(bits, gs);
                int rows = 7, cols = 3 * gs, maxq = f.maxCode();
                float[] w = new float[rows * cols];
                int[] codes = new int[rows * cols];
                for (int r = 0; r < rows; r++) {
                    for (int g0 = 0; g0 < cols; g0 += gs) {
                        float s = (float) Math.scalb(1.0, -4 - rnd.nextInt(6)); // power of two: exact in f16 and float math
                        int z = rnd.nextInt(maxq + 1);
                        for (int j = 0; j < gs; j++) {
                            int q = j == 0 ? 0 : j == 1 ? maxq : rnd.nextInt(maxq + 1); // both ends present
                            codes[r * cols + g0 + j] = q;
                            w[r * cols + g0 + j] = (q - z) * s;
                        }
                    }
                }
                for (HqqFit fit : new HqqFit[] {HqqFit.RTN, HqqFit.DEFAULT}) {
                    QuantizedMatrix q = QuantizedMatrix.encode(TestData.matrix("grid", w, rows, cols, DType.F32), f, fit, Arena.ofAuto());
                    assertArrayEquals(w, q.dequantize(), 0f, f.label() + " " + fit);
                    for (int r = 0; r < rows; r++) {
                        for (int c = 0; c < cols; c++) assertEquals(codes[r * cols + c], q.code(r, c), f.label() + " code " + r + "," + c);
                    }
                }
            }
        }
    }

    @Test
    void packingMatchesHandComputedBytes() {
        // One row of 32 weights whose codes are c mod (maxq+1); the group spans [0, maxq] so s = 1, z = 0.
        for (int bits : BITS) {
            QuantFormat f = new QuantFormat(bits, 32);
            float[] w = new float[32];
            for (int c = 0; c < 32; c++) w[c] = c % (f.maxCode() + 1);
            w[31] = f.maxCode();
            QuantizedMatrix q = QuantizedMatrix.encode(TestData.matrix("hand", w, 1, 32, DType.F32), f, HqqFit.RTN, Arena.ofAuto());
            assertEquals(1f, q.scale(0, 0));
            assertEquals(0f, q.zero(0, 0));
            byte b0 = q.data().get(ValueLayout.JAVA_BYTE, 0), b1 = q.data().get(ValueLayout.JAVA_BYTE, 1),
                    b2 = q.data().get(ValueLayout.JAVA_BYTE, 2);
            switch (bits) {
                case 8 -> assertArrayEquals(new byte[] {0, 1, 2}, new byte[] {b0, b1, b2});
                case 4 -> assertArrayEquals(new byte[] {0x10, 0x32, 0x54}, new byte[] {b0, b1, b2});
                case 2 -> assertArrayEquals(new byte[] {(byte) 0xE4, (byte) 0xE4, (byte) 0xE4}, new byte[] {b0, b1, b2});
                // codes 0..7 at bits 3j of a 24-bit little-endian word: 0xFAC688
                case 3 -> assertArrayEquals(new byte[] {(byte) 0x88, (byte) 0xC6, (byte) 0xFA}, new byte[] {b0, b1, b2});
                default -> fail();
            }
            assertEquals(QuantizedMatrix.byteSize(f, 1, 32), q.byteSize());
        }
    }

    @Test
    void byteSizesFollowTheLayout() {
        QuantFormat f = QuantFormat.INT2_G64;
        // codes 1024·2048/4 = 524288 B, scales and zeros 1024·32·2 = 65536 B each
        assertEquals(524288 + 65536 + 65536, QuantizedMatrix.byteSize(f, 1024, 2048));
        // 13 rows of 64 INT3 weights: codes 13·24 = 312 → 320, scales 26 → 64, zeros 26
        assertEquals(320 + 64 + 26, QuantizedMatrix.byteSize(new QuantFormat(3, 64), 13, 64));
    }

    @Test
    void errorBoundsPerBitWidth() {
        Random rnd = new Random(3);
        // Relative Frobenius error bounds on Gaussian weights (RTN: step/√12 over σ for a ~±2.5σ range).
        double[] bound = {0.58, 0.27, 0.13, 0.0075}; // INT2, INT3, INT4, INT8
        int rows = 64;
        for (int b = 0; b < BITS.length; b++) {
            for (int gs : GROUPS) {
                QuantFormat f = new QuantFormat(BITS[b], gs);
                int cols = 4 * gs;
                float[] w = TestData.gaussian(rnd, rows * cols, 0.02f);
                Matrix m = TestData.matrix("w", w, rows, cols, DType.F32);
                QuantizedMatrix rtn = QuantizedMatrix.encode(m, f, HqqFit.RTN, Arena.ofAuto());
                QuantizedMatrix hqq = QuantizedMatrix.encode(m, f, Arena.ofAuto());
                double eR = TestData.relErr(w, rtn.dequantize()), eH = TestData.relErr(w, hqq.dequantize());
                assertTrue(eR < bound[b], f.label() + " RTN rel err " + eR + " >= " + bound[b]);
                assertTrue(eH < bound[b], f.label() + " HQQ rel err " + eH + " >= " + bound[b]);
                // RTN: every weight lies within half a step (plus f16 rounding of the parameters) of its level.
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        float s = rtn.scale(r, c / gs);
                        assertTrue(Math.abs(w[r * cols + c] - rtn.get(r, c)) <= 0.5f * s * 1.01f + 1e-6f,
                                f.label() + " (" + r + "," + c + ")");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"2,64,gaussian", "2,64,heavy", "3,64,heavy", "4,64,gaussian", "4,128,heavy", "2,32,heavy", "8,64,heavy", "2,128,gaussian"})
    void hqqFitIsNeverWorseThanRtn(int bits, int gs, String dist) {
        Random rnd = new Random(bits * 1000 + gs);
        QuantFormat f = new QuantFormat(bits, gs);
        int rows = 96, cols = 4 * gs;
        float[] w = dist.equals("heavy") ? TestData.heavyTailed(rnd, rows * cols, 0.01f) : TestData.gaussian(rnd, rows * cols, 0.01f);
        Matrix m = TestData.matrix("w", w, rows, cols, DType.BF16);
        float[] wb = TestData.values(m);
        double rtn = TestData.sqErr(wb, QuantizedMatrix.encode(m, f, HqqFit.RTN, Arena.ofAuto()).dequantize());
        double hqq = TestData.sqErr(wb, QuantizedMatrix.encode(m, f, Arena.ofAuto()).dequantize());
        System.out.printf("%s %s: squared error RTN %.4e, HQQ %.4e (%.1f%% lower)%n", f.label(), dist, rtn, hqq, 100 * (1 - hqq / rtn));
        assertTrue(hqq <= rtn, f.label() + " " + dist + ": HQQ " + hqq + " > RTN " + rtn);
        if (bits <= 4) assertTrue(hqq < 0.97 * rtn, f.label() + " " + dist + ": HQQ should gain at least 3%, RTN " + rtn + " HQQ " + hqq);
    }

    @Test
    void decodeRowAndDequantizeAgreeWithGet() {
        Random rnd = new Random(4);
        QuantFormat f = new QuantFormat(3, 32);
        float[] w = TestData.gaussian(rnd, 207 * 96, 1f);
        QuantizedMatrix q = QuantizedMatrix.encode(TestData.matrix("w", w, 207, 96, DType.F16), f, Arena.ofAuto());
        float[] all = q.dequantize();
        Matrix dm = q.dequantize(Arena.ofAuto());
        float[] row = new float[96];
        for (int r = 0; r < 207; r += 17) {
            q.decodeRow(r, row, 0);
            for (int c = 0; c < 96; c++) {
                assertEquals(q.get(r, c), row[c]);
                assertEquals(row[c], all[r * 96 + c]);
                assertEquals(row[c], dm.get(r, c));
            }
        }
    }

    @Test
    void constantGroupsAreExact() {
        float[] w = new float[3 * 64];
        for (int c = 0; c < 64; c++) {
            w[c] = 0.25f;
            w[64 + c] = -0.75f;
            w[128 + c] = 0f;
        }
        for (int bits : BITS) {
            QuantizedMatrix q = QuantizedMatrix.encode(TestData.matrix("c", w, 3, 64, DType.F32), new QuantFormat(bits, 64), Arena.ofAuto());
            assertArrayEquals(w, q.dequantize(), 0f);
        }
    }

    @Test
    void errorsNameExpectedAndFound() {
        var e1 = assertThrows(IllegalArgumentException.class,
                () -> QuantizedMatrix.view("blk.0.up", QuantFormat.INT2_G64, 4, 128, Arena.ofAuto().allocate(10)));
        assertTrue(e1.getMessage().contains("blk.0.up") && e1.getMessage().contains("needs " + QuantizedMatrix.byteSize(QuantFormat.INT2_G64, 4, 128))
                && e1.getMessage().contains("found 10"), e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> QuantizedMatrix.encode(TestData.matrix("odd", new float[13 * 100], 13, 100, DType.F32), QuantFormat.INT4_G64, Arena.ofAuto()));
        assertTrue(e2.getMessage().contains("odd") && e2.getMessage().contains("found 100"), e2.getMessage());
        float[] bad = new float[64];
        bad[5] = Float.NaN;
        var e3 = assertThrows(IllegalArgumentException.class,
                () -> QuantizedMatrix.encode(TestData.matrix("nan", bad, 1, 64, DType.F32), QuantFormat.INT4_G64, Arena.ofAuto()));
        assertTrue(e3.getMessage().contains("nan row 0"), e3.getMessage());
        assertEquals(new QuantFormat(3, 128), QuantFormat.parse("int3-g128"));
        assertThrows(IllegalArgumentException.class, () -> new QuantFormat(5, 64));
    }
}
