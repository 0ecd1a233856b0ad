// Every ggml dequantizer against the gguf Python package's numpy dequantizers, block by block.
package io.strata.compression.ggml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Fixtures in src/test/resources/ggml were made by tools/gguf-fixtures/make_fixtures.py (gguf 0.19.0, numpy). */
class GgmlDequantTest {
    static Path fixture(String name) throws Exception {
        return Path.of(GgmlDequantTest.class.getResource("/ggml/" + name).toURI());
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K", "MXFP4"})
    void matchesNumpyReferenceBlockByBlock(String name) throws Exception {
        GgmlType t = GgmlType.valueOf(name);
        byte[] raw = Files.readAllBytes(fixture(name + ".blocks"));
        ByteBuffer ref = ByteBuffer.wrap(Files.readAllBytes(fixture(name + ".f32"))).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, raw.length % t.typeSize, name + ": fixture is not whole blocks");
        int blocks = raw.length / t.typeSize;
        assertEquals((long) blocks * t.blockSize * 4, ref.capacity(), name + ": reference value count");
        MemorySegment seg = MemorySegment.ofArray(raw);
        int nonZero = 0;
        for (int b = 0; b < blocks; b++) {
            // One block at a time, at its own offset, so a layout slip shows the failing block.
            float[] y = new float[t.blockSize];
            GgmlDequant.dequantize(t, seg, (long) b * t.typeSize, y, 0, t.blockSize);
            for (int j = 0; j < t.blockSize; j++) {
                float want = ref.getFloat((b * t.blockSize + j) * 4);
                if (want != 0) nonZero++;
                // ggml's arithmetic order is followed, so values agree to the last bit save for
                // numpy's own reassociations: allow one float ulp.
                assertTrue(want == y[j] || Math.abs(want - y[j]) <= Math.ulp(want),
                        name + " block " + b + " element " + j + ": expected " + want + ", got " + y[j]);
            }
        }
        assertTrue(nonZero > blocks * t.blockSize / 2, name + ": the fixture must hold non-zero values");
        // All blocks in one call give the same values as block by block.
        float[] all = new float[blocks * t.blockSize];
        GgmlDequant.dequantize(t, seg, 0, all, 0, all.length);
        for (int i = 0; i < all.length; i++) {
            float want = ref.getFloat(i * 4);
            assertTrue(want == all[i] || Math.abs(want - all[i]) <= Math.ulp(want), name + " element " + i);
        }
    }

    @Test
    void handCheckedQ8_0AndMxfp4() {
        // Q8_0: d = 0.5 (f16 0x3800), q = -128, 1, 127, 0...
        byte[] q8 = new byte[34];
        q8[0] = 0x00;
        q8[1] = 0x38;
        q8[2] = (byte) -128;
        q8[3] = 1;
        q8[4] = 127;
        float[] y = new float[32];
        GgmlDequant.dequantize(GgmlType.Q8_0, MemorySegment.ofArray(q8), 0, y, 0, 32);
        assertEquals(-64f, y[0]);
        assertEquals(0.5f, y[1]);
        assertEquals(63.5f, y[2]);
        assertEquals(0f, y[3]);
        // MXFP4: e = 128 gives scale 1 (values doubled: nibble 7 is e2m1 6.0, doubled 12), low nibble first.
        byte[] mx = new byte[17];
        mx[0] = (byte) 128;
        mx[1] = (byte) 0xF7; // low 7 -> 12, high 15 -> -12
        GgmlDequant.dequantize(GgmlType.MXFP4, MemorySegment.ofArray(mx), 0, y, 0, 32);
        assertEquals(12f, y[0]);
        assertEquals(-12f, y[16]);
        assertEquals(0.5f, GgmlDequant.e8m0Half(127));
        assertEquals((float) Math.scalb(1.0, -128), GgmlDequant.e8m0Half(0));
    }

    @Test
    void partialBlocksAndUnsupportedTypesAreRefused() {
        float[] y = new float[64];
        MemorySegment s = MemorySegment.ofArray(new byte[512]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GgmlDequant.dequantize(GgmlType.Q4_K, s, 0, y, 0, 64));
        assertTrue(e.getMessage().contains("Q4_K") && e.getMessage().contains("256"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GgmlDequant.dequantize(GgmlType.Q2_K, s, 0, new float[256], 0, 256));
        assertTrue(e.getMessage().contains("Q2_K") && e.getMessage().contains("Q4_K"), e.getMessage());
    }

    @Test
    void typeTableMatchesIds() {
        assertEquals(GgmlType.MXFP4, GgmlType.byId(39));
        assertEquals(GgmlType.BF16, GgmlType.byId(30));
        assertEquals(null, GgmlType.byId(31));
        assertEquals(null, GgmlType.byId(1L << 40));
        assertEquals(-1, GgmlType.Q4_K.bytesFor(100, 100));
        assertEquals(144 * 2, GgmlType.Q4_K.bytesFor(256, 512));
    }
}
