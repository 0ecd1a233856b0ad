// The codecs that keep checkpoint bytes (ggml blocks, block-scaled FP8): layouts by hand, kept bytes, quantizers.
package io.strata.compression.codec;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.compression.DType;
import io.strata.compression.Fp8;
import io.strata.compression.Layouts;
import io.strata.compression.TestData;
import io.strata.compression.fp8.Fp8Kernels;
import io.strata.compression.fp8.Fp8Matrix;
import io.strata.compression.ggml.GgmlDequant;
import io.strata.compression.ggml.GgmlKernels;
import io.strata.compression.ggml.GgmlMatrix;
import io.strata.compression.ggml.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BlockCodecTest {
    /** rows x cols of type t as random blocks with finite f16 scales (d, dmin) of realistic size. */
    static GgmlMatrix randomGgml(Random rnd, GgmlType t, int rows, int cols, Arena arena) {
        long bytes = (long) rows * cols / t.blockSize * t.typeSize;
        MemorySegment m = arena.allocate(bytes, 64);
        for (long i = 0; i < bytes; i++) m.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(256));
        int[] halves = switch (t) {
            case Q8_0 -> new int[] {0};
            case Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException(t.name());
        };
        for (long b = 0; b < bytes / t.typeSize; b++) {
            for (int h : halves) m.set(Layouts.I16, b * t.typeSize + h, io.strata.compression.Halfs.floatToF16(1e-3f * (1 + rnd.nextFloat())));
        }
        return new GgmlMatrix(t.name(), t, rows, cols, m);
    }

    @Test
    void ggufLayoutByHandAndItsNames() {
        GgmlCodec c = new GgmlCodec(GgmlType.Q4_K, GgmlType.Q4_K, GgmlType.Q6_K);
        assertEquals("gguf-q4_k-q4_k-q6_k", c.name());
        CodecParams p = c.layout(512, 256);
        // gate Q4_K [256, 512]: 2 blocks of 144 B per row = 288 B x 256 rows = 73728 B = 18 pages exactly
        assertEquals(new PartLayout("gate", "q4_k", 0, 73728, 256, 512), p.part("gate"));
        assertEquals(new PartLayout("up", "q4_k", 73728, 73728, 256, 512), p.part("up"));
        // down Q6_K [512, 256]: 1 block of 210 B per row x 512 = 107520 B
        assertEquals(new PartLayout("down", "q6_k", 147456, 107520, 512, 256), p.part("down"));
        assertEquals(147456 + 110592, p.totalBytes());
        assertEquals("gguf-q4_k-q4_k-q6_k", ExpertCodecs.byName("gguf-q4_k-q4_k-q6_k").name());
        assertEquals("gguf-q8_0", ExpertCodecs.byName("gguf-q8_0").name());
        var e1 = assertThrows(IllegalArgumentException.class, () -> ExpertCodecs.byName("gguf-q3_k"));
        assertTrue(e1.getMessage().contains("Q3_K has no expert layout") && e1.getMessage().contains("q4_k"), e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> ExpertCodecs.byName("gguf-q9_z"));
        assertTrue(e2.getMessage().contains("unknown ggml type 'q9_z'"), e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class, () -> new GgmlCodec(GgmlType.Q4_K).layout(320, 256));
        assertTrue(e3.getMessage().contains("320 columns is not a whole number of Q4_K blocks of 256"), e3.getMessage());
    }

    @Test
    void keptGgufBytesComputeAsTheirDequantizedValues() {
        Random rnd = new Random(5);
        Arena a = Arena.ofAuto();
        int h = 256, inter = 512;
        GgmlMatrix g = randomGgml(rnd, GgmlType.Q4_K, inter, h, a), u = randomGgml(rnd, GgmlType.Q5_K, inter, h, a),
                d = randomGgml(rnd, GgmlType.Q6_K, h, inter, a);
        GgmlCodec c = new GgmlCodec(GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);
        EncodedExpert e = c.keep(g, u, d, a);
        assertEquals(-1, GgmlCodec.view(e, "up").data().mismatch(u.data()), "the blob holds the bytes as given");
        ExpertWeights w = c.decode(e, a);
        float[] row = new float[inter];
        GgmlDequant.dequantize(GgmlType.Q6_K, d.data(), 7 * d.rowBytes(), row, 0, inter);
        for (int j = 0; j < inter; j++) assertEquals(row[j], w.down().get(7, j));
        // The kernel on the blob's view equals a plain dot product with the decoded values.
        float[] x = TestData.gaussian(rnd, h, 1f), y = new float[inter];
        GgmlKernels.best().matvec(GgmlCodec.view(e, "gate"), x, y);
        for (int r : new int[] {0, 211, 511}) {
            double ref = 0;
            for (int j = 0; j < h; j++) ref += (double) w.gate().get(r, j) * x[j];
            assertEquals(ref, y[r], 1e-4 * (1 + Math.abs(ref)), "row " + r);
        }
        var bad = assertThrows(IllegalArgumentException.class, () -> c.keep(u, g, d, a));
        assertTrue(bad.getMessage().contains("expected Q4_K [512, 256], found Q5_K"), bad.getMessage());
    }

    @Test
    void q8_0QuantizerIsGgmlsReferenceOnAHandCheckedBlock() {
        // Exact binary values: amax = 127 · 2^-6, so d = 2^-6 and x / d is exact; ggml rounds half away from zero.
        float s = 0x1p-6f;
        float[] v = new float[32 * 32];
        v[0] = 127 * s;
        v[1] = -63.5f * s; // → -64
        v[2] = 0.5f * s;   // → 1
        v[3] = -0.5f * s;  // → -1
        v[4] = 2.5f * s;   // → 3 (round-half-even would give 2)
        var m = TestData.matrix("g", v, 32, 32, DType.F32);
        EncodedExpert e = new GgmlCodec(GgmlType.Q8_0).encode(new ExpertWeights(m, m, m), Arena.ofAuto());
        MemorySegment gate = e.part("gate");
        assertEquals(s, io.strata.compression.Halfs.f16ToFloat(gate.get(Layouts.I16, 0)));
        byte[] want = {127, -64, 1, -1, 3, 0};
        for (int j = 0; j < want.length; j++) assertEquals(want[j], gate.get(ValueLayout.JAVA_BYTE, 2 + j), "q[" + j + "]");
        // an all-zero block: d = 0 and codes 0, no division by zero
        assertEquals(0, gate.get(Layouts.I16, 34));
        var k = assertThrows(IllegalArgumentException.class, () -> new GgmlCodec(GgmlType.Q4_K).encode(new ExpertWeights(
                TestData.matrix("g", new float[256 * 256], 256, 256, DType.F32), TestData.matrix("u", new float[256 * 256], 256, 256, DType.F32),
                TestData.matrix("d", new float[256 * 256], 256, 256, DType.F32)), Arena.ofAuto()));
        assertTrue(k.getMessage().contains("no Q4_K quantizer"), k.getMessage());
    }

    @Test
    void e4m3RoundsToNearestEvenAndSaturates() {
        for (int b = 0; b < 256; b++) {
            if ((b & 0x7F) == 0x7F) continue; // NaN
            assertEquals((byte) b, Fp8.floatToE4m3(Fp8.e4m3ToFloat((byte) b)), "code " + b + " round-trips");
        }
        assertEquals((byte) 0x38, Fp8.floatToE4m3(1.0625f));  // halfway 1.0 (0x38, even) / 1.125 → 1.0
        assertEquals((byte) 0x3A, Fp8.floatToE4m3(1.1875f));  // halfway 1.125 / 1.25 (0x3A, even) → 1.25
        assertEquals((byte) 0x39, Fp8.floatToE4m3(1.07f));    // nearer 1.125
        assertEquals((byte) 0x01, Fp8.floatToE4m3(0x1p-9f * 1.4f)); // subnormal
        assertEquals((byte) 0x00, Fp8.floatToE4m3(0x1p-10f));  // halfway 0 / 2^-9 → 0 (even)
        assertEquals((byte) 0x7E, Fp8.floatToE4m3(1000f));     // saturates at 448
        assertEquals((byte) 0xFE, Fp8.floatToE4m3(-1000f));
        assertEquals((byte) 0xC4, Fp8.floatToE4m3(-3f));
    }

    @Test
    void keptFp8BytesAndTheQuantizer() {
        Random rnd = new Random(6);
        Arena a = Arena.ofAuto();
        int h = 96, inter = 80; // blocks of 32 x 32 with a ragged edge: scales (3, 3) for gate [80, 96] and down [96, 80]
        Fp8Codec c = new Fp8Codec(32, 32);
        assertEquals("fp8-b32x32", c.name());
        assertEquals("fp8", ExpertCodecs.byName("fp8").name());
        CodecParams p = c.layout(h, inter);
        // gate codes 80 x 96 = 7680 B = 2 pages; each scale part 36 B = 1 page
        assertEquals(new PartLayout("gate_scale", "f32", 8192, 4 * 3 * 3, 3, 3), p.part("gate_scale"));
        assertEquals(new PartLayout("down", "f8_e4m3", 6 * 4096, 96 * 80, 96, 80), p.part("down"));
        assertEquals(9 * 4096, p.totalBytes());
        ExpertWeights w = ExpertCodecTest.randomExpert(rnd, h, inter, DType.F32);
        EncodedExpert e = c.encode(w, a);
        ExpertWeights d = c.decode(e, a);
        double err = TestData.relErr(TestData.values(w.up()), TestData.values(d.up()));
        assertTrue(err > 0 && err < 0.04, "E4M3 keeps about 2 significant bits more than int4: " + err);
        // every block's largest value is exactly ±448 · scale, as DeepSeek-V3's quantizer makes it
        Fp8Matrix up = Fp8Codec.view(e, "up");
        float s00 = up.scales().getAtIndex(Layouts.F32, 0), amax = 0;
        for (int r = 0; r < 32; r++) for (int col = 0; col < 32; col++) amax = Math.max(amax, Math.abs(w.up().get(r, col)));
        assertEquals(amax / 448f, s00);
        // keep() copies codes and scales; the kernels on the view equal the decoded values
        EncodedExpert k = c.keep(Fp8Codec.view(e, "gate"), up, Fp8Codec.view(e, "down"), a);
        assertEquals(-1, k.blob().mismatch(e.blob()));
        float[] x = TestData.gaussian(rnd, inter, 1f), y = new float[h];
        Fp8Kernels.best().matvec(Fp8Codec.view(k, "down"), x, y);
        for (int r = 0; r < h; r++) {
            double ref = 0;
            for (int j = 0; j < inter; j++) ref += (double) d.down().get(r, j) * x[j];
            assertEquals(ref, y[r], 1e-4 * (1 + Math.abs(ref)), "row " + r);
        }
        var bad = assertThrows(IllegalArgumentException.class, () -> new Fp8Codec(128, 128).keep(up, up, up, a));
        assertTrue(bad.getMessage().contains("in 128x128 blocks, found [80, 96] in 32x32 blocks"), bad.getMessage());
    }
}
