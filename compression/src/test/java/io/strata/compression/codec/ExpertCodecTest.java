// Codec layouts (hand-computed offsets), round trips, JSON params, and error messages.
package io.strata.compression.codec;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.compression.DType;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import io.strata.compression.TestData;
import io.strata.compression.quant.HqqFit;
import io.strata.compression.quant.QuantFormat;
import io.strata.compression.quant.QuantizedMatrix;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ExpertCodecTest {
    static ExpertWeights randomExpert(Random rnd, int hidden, int inter, DType dtype) {
        return new ExpertWeights(TestData.matrix("gate", TestData.gaussian(rnd, inter * hidden, 0.02f), inter, hidden, dtype),
                TestData.matrix("up", TestData.gaussian(rnd, inter * hidden, 0.02f), inter, hidden, dtype),
                TestData.matrix("down", TestData.gaussian(rnd, hidden * inter, 0.02f), hidden, inter, dtype));
    }

    @Test
    void floeLayoutOfAnOlmoeExpertByHand() {
        CodecParams p = new FloeCodec().layout(2048, 1024);
        // up int2-g64 [1024, 2048]: codes 524288 B, scales 65536 B, zeros 65536 B = 655360 B = 160 pages
        PartLayout up = p.part("up"), gate = p.part("gate"), downT = p.part("downT");
        assertEquals(new PartLayout("up", "int2-g64", 0, 655360, 1024, 2048), up);
        assertEquals(new PartLayout("gate", "bf16", 655360, 4194304, 1024, 2048), gate);
        assertEquals(new PartLayout("downT", "bf16", 655360 + 4194304, 4194304, 1024, 2048), downT);
        assertEquals(9043968, p.totalBytes());
        assertEquals(4096, gate.rowBytes());
        assertEquals(655360 + 7 * 4096, gate.rowOffset(7));
        assertEquals(4849664 + 1023 * 4096, downT.rowOffset(1023));
        assertEquals("floe", p.codec());
        assertEquals(64, p.groupSize());
        var e = assertThrows(IndexOutOfBoundsException.class, () -> gate.rowOffset(1024));
        assertTrue(e.getMessage().contains("1024"), e.getMessage());
    }

    @Test
    void partsArePageAligned() {
        for (String name : ExpertCodecs.NAMES) {
            CodecParams p = ExpertCodecs.byName(name).layout(320, 192);
            for (PartLayout part : p.parts()) assertEquals(0, part.offset() % ExpertCodec.PART_ALIGN, name + " " + part);
            assertEquals(0, p.totalBytes() % ExpertCodec.PART_ALIGN, name);
            assertTrue(p.totalBytes() >= p.parts().getLast().end(), name);
        }
    }

    @Test
    void bf16IsBitExactOnBf16AndRoundsF32() {
        Random rnd = new Random(1);
        ExpertWeights w = randomExpert(rnd, 96, 64, DType.BF16);
        Bf16Codec codec = new Bf16Codec();
        EncodedExpert e = codec.encode(w, Arena.ofAuto());
        ExpertWeights d = codec.decode(e, Arena.ofAuto());
        assertEquals(w.gate().data().mismatch(d.gate().data()), -1);
        assertEquals(w.up().data().mismatch(d.up().data()), -1);
        assertEquals(w.down().data().mismatch(d.down().data()), -1);
        assertEquals(3L * 2 * 96 * 64, e.params().partBytes());

        ExpertWeights w32 = randomExpert(rnd, 96, 64, DType.F32);
        ExpertWeights d32 = codec.decode(codec.encode(w32, Arena.ofAuto()), Arena.ofAuto());
        for (int r = 0; r < 64; r++) {
            for (int c = 0; c < 96; c++) {
                float v = w32.gate().get(r, c);
                assertEquals(io.strata.compression.Halfs.bf16ToFloat(io.strata.compression.Halfs.floatToBf16(v)), d32.gate().get(r, c));
            }
        }
    }

    @Test
    void groupQuantCodecsDecodeToTheirQuantizedParts() {
        Random rnd = new Random(2);
        ExpertWeights w = randomExpert(rnd, 128, 192, DType.BF16);
        double prev = 0;
        for (int bits : new int[] {8, 4, 3, 2}) {
            QuantFormat f = new QuantFormat(bits, 64);
            GroupQuantCodec codec = new GroupQuantCodec(f, HqqFit.RTN);
            assertEquals(bits == 3 ? "int3" : "int" + bits, codec.name());
            EncodedExpert e = codec.encode(w, Arena.ofAuto());
            ExpertWeights d = codec.decode(e, Arena.ofAuto());
            float[] up = QuantizedMatrix.encode(w.up(), f, HqqFit.RTN, Arena.ofAuto()).dequantize();
            assertArrayEquals(up, TestData.values(d.up()));
            float[] down = QuantizedMatrix.encode(w.down(), f, HqqFit.RTN, Arena.ofAuto()).dequantize();
            assertArrayEquals(down, TestData.values(d.down()));
            assertEquals(d.down().get(5, 7), GroupQuantCodec.view(e, "down").get(5, 7));
            double err = TestData.relErr(TestData.values(w.gate()), TestData.values(d.gate()));
            assertTrue(err > prev, "error grows as bits shrink: int" + bits + " " + err + " vs " + prev);
            prev = err;
        }
        assertEquals("int4-g128", new GroupQuantCodec(new QuantFormat(4, 128)).name());
    }

    @Test
    void floeStoresDownTransposedAndUpAsInt2() {
        Random rnd = new Random(3);
        ExpertWeights w = randomExpert(rnd, 128, 192, DType.BF16);
        FloeCodec codec = new FloeCodec(FloeCodec.UP_FORMAT, HqqFit.DEFAULT, 0.5f);
        EncodedExpert e = codec.encode(w, Arena.ofAuto());
        assertEquals(0.5f, e.params().threshold());
        Matrix downT = FloeCodec.bf16View(e, "downT");
        assertEquals(192, downT.rows());
        assertEquals(128, downT.cols());
        PartLayout dp = e.params().part("downT");
        for (int i : new int[] {0, 17, 191}) {
            for (int c : new int[] {0, 5, 127}) {
                assertEquals(w.down().data().getAtIndex(Layouts.I16, (long) c * 192 + i),
                        e.blob().get(Layouts.I16, dp.rowOffset(i) + 2L * c), "downT row " + i + " col " + c);
            }
        }
        ExpertWeights d = codec.decode(e, Arena.ofAuto());
        assertEquals(-1, w.gate().data().mismatch(d.gate().data()));
        assertEquals(-1, w.down().data().mismatch(d.down().data()));
        assertArrayEquals(QuantizedMatrix.encode(w.up(), QuantFormat.INT2_G64, Arena.ofAuto()).dequantize(), TestData.values(d.up()));
        // a recalibrated threshold does not change the layout
        codec.decode(new EncodedExpert(e.params().withThreshold(1.25f), e.blob()), Arena.ofAuto());
    }

    @Test
    void paramsRoundTripThroughJson() throws Exception {
        ObjectMapper om = new ObjectMapper();
        for (String name : ExpertCodecs.NAMES) {
            CodecParams p = ExpertCodecs.byName(name).layout(256, 128);
            if (name.startsWith("floe")) p = p.withThreshold(0.125f);
            String json = om.writeValueAsString(p);
            assertEquals(p, om.readValue(json, CodecParams.class), json);
        }
    }

    @Test
    void errorsNameExpectedAndFound() {
        CodecParams p = new Bf16Codec().layout(64, 64);
        var e1 = assertThrows(IllegalArgumentException.class, () -> new EncodedExpert(p, Arena.ofAuto().allocate(100)));
        assertTrue(e1.getMessage().contains("must be " + p.totalBytes()) && e1.getMessage().contains("found 100"), e1.getMessage());

        Random rnd = new Random(4);
        EncodedExpert int4 = new GroupQuantCodec(QuantFormat.INT4_G64, HqqFit.RTN).encode(randomExpert(rnd, 64, 64, DType.F32), Arena.ofAuto());
        var e2 = assertThrows(IllegalArgumentException.class, () -> new Bf16Codec().decode(int4, Arena.ofAuto()));
        assertTrue(e2.getMessage().contains("expected a 'bf16' expert, found 'int4'"), e2.getMessage());

        var e3 = assertThrows(IllegalArgumentException.class, () -> ExpertCodecs.byName("zip"));
        assertTrue(e3.getMessage().contains("'zip'"), e3.getMessage());
        var e4 = assertThrows(IllegalArgumentException.class, () -> new GroupQuantCodec(QuantFormat.INT4_G64).layout(100, 64));
        assertTrue(e4.getMessage().contains("found 100"), e4.getMessage());
        var e5 = assertThrows(IllegalArgumentException.class, () -> int4.params().part("downT"));
        assertTrue(e5.getMessage().contains("[gate, up, down]"), e5.getMessage());
        var e6 = assertThrows(IllegalArgumentException.class, () -> new ExpertWeights(
                TestData.matrix("g", new float[64 * 32], 32, 64, DType.F32), TestData.matrix("u", new float[64 * 32], 32, 64, DType.F32),
                TestData.matrix("d", new float[64 * 32], 32, 64, DType.F32)));
        assertTrue(e6.getMessage().contains("expected [64, 32], found [32, 64]"), e6.getMessage());
    }

    @Test
    void everyNamedCodecRoundTripsItsName() {
        for (String name : ExpertCodecs.NAMES) assertEquals(name, ExpertCodecs.byName(name).name());
        for (String name : List.of("int4-g128", "floe-int4-g64", "int2-g32")) assertEquals(name, ExpertCodecs.byName(name).name());
    }
}
