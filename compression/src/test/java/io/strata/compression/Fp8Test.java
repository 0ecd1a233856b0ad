// FP8 E4M3 decoding and block-scaled dequantization: hand-checked values and PyTorch's float8_e4m3fn.
package io.strata.compression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class Fp8Test {
    @Test
    void handCheckedE4m3Values() {
        assertEquals(0f, Fp8.e4m3ToFloat((byte) 0x00));
        assertEquals(-0f, Fp8.e4m3ToFloat((byte) 0x80));
        assertEquals(0x1p-9f, Fp8.e4m3ToFloat((byte) 0x01));     // smallest subnormal: 1/8 * 2^-6
        assertEquals(7 * 0x1p-9f, Fp8.e4m3ToFloat((byte) 0x07)); // largest subnormal
        assertEquals(0x1p-6f, Fp8.e4m3ToFloat((byte) 0x08));     // smallest normal
        assertEquals(1f, Fp8.e4m3ToFloat((byte) 0x38));          // exponent 7 = bias
        assertEquals(1.125f, Fp8.e4m3ToFloat((byte) 0x39));
        assertEquals(2f, Fp8.e4m3ToFloat((byte) 0x40));
        assertEquals(-1.5f, Fp8.e4m3ToFloat((byte) 0xBC));
        assertEquals(448f, Fp8.e4m3ToFloat((byte) 0x7E));        // largest: 1.75 * 2^8
        assertTrue(Float.isNaN(Fp8.e4m3ToFloat((byte) 0x7F)));
        assertTrue(Float.isNaN(Fp8.e4m3ToFloat((byte) 0xFF)));
        assertEquals(240f, Fp8.e4m3ToFloat((byte) 0x77));        // 0x78..0x7E are finite in the "fn" variant: 0x77 = 1.875*2^7
    }

    @Test
    void handCheckedBlockScales() {
        // (130, 3) with 128 x 128 blocks: scales (2, 1); rows 0..127 use 2.0, rows 128..129 use 0.5.
        byte[] w = new byte[130 * 3];
        w[0] = 0x38;                 // 1.0 -> 2.0
        w[127 * 3 + 1] = 0x40;       // 2.0 -> 4.0
        w[128 * 3] = (byte) 0xC0;    // -2.0 -> -1.0
        w[129 * 3 + 2] = 0x7E;       // 448 -> 224
        float[] s = {2f, 0.5f};
        float[] out = new float[130 * 3];
        Fp8.dequantizeBlockScaled(MemorySegment.ofArray(w), MemorySegment.ofArray(s), DType.F32, 130, 3, 128, 128, out);
        assertEquals(2f, out[0]);
        assertEquals(4f, out[127 * 3 + 1]);
        assertEquals(-1f, out[128 * 3]);
        assertEquals(224f, out[129 * 3 + 2]);
        assertEquals(0f, out[1]);
        // bf16 scales, 2 x 2 blocks over a (3, 3) weight: scale (r/2, c/2)
        byte[] w2 = new byte[9];
        java.util.Arrays.fill(w2, (byte) 0x38);
        short[] s2 = {Halfs.floatToBf16(1f), Halfs.floatToBf16(2f), Halfs.floatToBf16(3f), Halfs.floatToBf16(4f)};
        float[] o2 = new float[9];
        Fp8.dequantizeBlockScaled(MemorySegment.ofArray(w2), MemorySegment.ofArray(s2), DType.BF16, 3, 3, 2, 2, o2);
        assertEquals(java.util.List.of(1f, 1f, 2f, 1f, 1f, 2f, 3f, 3f, 4f),
                java.util.stream.IntStream.range(0, 9).mapToObj(i -> o2[i]).toList());
    }

    static Path fixture(String name) throws Exception {
        return Path.of(Fp8Test.class.getResource("/fp8/" + name).toURI());
    }

    /** Fixtures by tools/fp8-fixtures/make_fp8_fixtures.py with PyTorch 2.13's float8_e4m3fn. */
    @Test
    void everyByteDecodesAsPyTorchDecodesIt() throws Exception {
        ByteBuffer ref = ByteBuffer.wrap(Files.readAllBytes(fixture("e4m3.f32"))).order(ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < 256; b++) {
            float want = ref.getFloat(b * 4), got = Fp8.e4m3ToFloat((byte) b);
            assertTrue(Float.compare(want, got) == 0 || Float.isNaN(want) && Float.isNaN(got), "byte 0x" + Integer.toHexString(b) + ": torch " + want + ", ours " + got);
        }
    }

    @Test
    void blockScaledWeightMatchesPyTorch() throws Exception {
        int rows = 140, cols = 200;
        byte[] q = Files.readAllBytes(fixture("block.fp8"));
        byte[] s = Files.readAllBytes(fixture("block.scale"));
        ByteBuffer ref = ByteBuffer.wrap(Files.readAllBytes(fixture("block.f32"))).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(rows * cols, q.length);
        assertEquals(2 * 2 * 4, s.length);
        float[] out = new float[rows * cols];
        Fp8.dequantizeBlockScaled(MemorySegment.ofArray(q), MemorySegment.ofArray(s), DType.F32, rows, cols, 128, 128, out);
        for (int i = 0; i < out.length; i++) assertEquals(ref.getFloat(i * 4), out[i], "element (" + i / cols + ", " + i % cols + ")");
    }
}
