// Calibration on the trained model: the thresholds give the target sparsity when FloE then serves the same text.
package io.strata.engine.floe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.compression.codec.CodecParams;
import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.ExpertCodecs;
import io.strata.compression.codec.FloeCodec;
import io.strata.engine.checkpoint.Checkpoint;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.MoeModel;
import io.strata.engine.tokenizer.Tokenizer;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FloeCalibrationTest {
    @Test
    void thresholdsHitTheTargetSparsityOnTheCalibrationText(@TempDir Path tmp) throws Exception {
        Path dir = FloeTestModels.tinyMoe();
        double target = 0.85;
        try (Checkpoint ck = Checkpoint.open(dir); Arena arena = Arena.ofShared()) {
            ModelConfig c = FloeTestModels.config(ck);
            Tokenizer tok = Tokenizer.load(dir);
            List<int[]> ids = new ArrayList<>();
            for (String s : BuiltinTexts.CALIBRATION) ids.add(tok.encode(s, true));
            EncodedExperts floe = EncodedExperts.encode(c, ck, new FloeCodec(), arena);
            FloeCalibration.Result r;
            try (MoeModel dense = FloeTestModels.dense(ck)) {
                r = FloeCalibration.run(dense, ids, target, FloeCalibration.UpProjection.resident(floe));
            }
            for (int l = 0; l < c.numLayers(); l++) {
                assertTrue(r.thresholds()[l] > 0, "layer " + l + " threshold " + r.thresholds()[l]);
                assertEquals(target, r.achievedSparsity()[l], 1e-3, "layer " + l + " sparsity on the samples");
            }
            // Serve the same text with FloE at those thresholds: the masks computed at run time skip
            // about the target share (later layers see FloE's slightly different hidden states).
            FloeExpertStore store = new FloeExpertStore(floe, r.thresholds(), false);
            try (MoeModel m = FloeTestModels.with(ck, store)) {
                for (int[] seq : ids) m.forward(seq, 0, m.newCache(seq.length), false);
            }
            assertEquals(target, store.totals().sparsity(), 0.03, "overall run-time sparsity");
            for (int l = 0; l < c.numLayers(); l++) {
                assertEquals(target, store.stats(l).snapshot().sparsity(), 0.06, "layer " + l + " run-time sparsity");
            }
            // JSON round trip
            Path json = tmp.resolve("t.json");
            FloeThresholds.of("tiny-moe", "floe", target, r).write(json);
            FloeThresholds back = FloeThresholds.read(json, c.numLayers());
            assertArrayEquals(r.thresholds(), back.thresholds());
            assertEquals(r.tokens(), back.tokens());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FloeThresholds.read(json, 7));
            assertTrue(e.getMessage().contains("expected 7 per-layer thresholds, found 6"), e.getMessage());
        }
    }

    @Test
    void aCalibrationFileWithoutTextFailsClearly(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("empty.txt");
        Files.writeString(f, "  \n\n\t \n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FloeCalibration.readTexts(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("contains no text"), e.getMessage());
        Path two = tmp.resolve("two.txt");
        Files.writeString(two, "first paragraph\nstill first\n\n  \nsecond\n");
        assertEquals(List.of("first paragraph\nstill first", "second"), FloeCalibration.readTexts(two));
    }

    @Test
    void blobsWhoseParametersDoNotMatchTheirCodecFailClearly() {
        Path dir = FloeTestModels.tinyMoe();
        try (Checkpoint ck = Checkpoint.open(dir); Arena arena = Arena.ofShared()) {
            ModelConfig c = FloeTestModels.config(ck);
            EncodedExpert int4 = ExpertCodecs.byName("int4").encode(FloeExpertStoreTest.expertWeights(ck, c, 0, 0), arena);
            CodecParams p = int4.params();
            // an int4 blob whose params claim int2: the sizes agree with the blob, the layout does not
            EncodedExpert lying = new EncodedExpert(new CodecParams("int2", p.hidden(), p.intermediate(), p.groupSize(), null,
                    p.parts(), p.totalBytes()), int4.blob());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> EncodedExperts.of(c, fill(c, lying)));
            assertTrue(e.getMessage().startsWith("layer 0 expert 0: int2 expert") && e.getMessage().contains("expected layout"),
                    e.getMessage());
            // params of the int8 layout over an int4 blob: the blob length is wrong
            CodecParams int8 = ExpertCodecs.byName("int8").layout(c.hidden(), c.expertIntermediate());
            e = assertThrows(IllegalArgumentException.class, () -> new EncodedExpert(int8, int4.blob()));
            assertTrue(e.getMessage().contains("blob must be " + int8.totalBytes() + " bytes, found " + p.totalBytes()), e.getMessage());
            // a well-formed int4 store handed to the FloE store
            EncodedExperts good = EncodedExperts.of(c, fill(c, int4));
            e = assertThrows(IllegalArgumentException.class, () -> new FloeExpertStore(good, null, false));
            assertTrue(e.getMessage().contains("found codec 'int4'"), e.getMessage());
            // a blob of the wrong shape for the model
            EncodedExpert small = ExpertCodecs.byName("int4").encode(new io.strata.compression.codec.ExpertWeights(
                    FloePartialLoadTest.bf16("g", new java.util.Random(1), 64, 128), FloePartialLoadTest.bf16("u", new java.util.Random(2), 64, 128),
                    FloePartialLoadTest.bf16("d", new java.util.Random(3), 128, 64)), arena);
            e = assertThrows(IllegalArgumentException.class, () -> EncodedExperts.of(c, fill(c, small)));
            assertTrue(e.getMessage().contains("expected [H=256, I=384], found [H=128, I=64]"), e.getMessage());
        }
    }

    static EncodedExpert[][] fill(ModelConfig c, EncodedExpert e) {
        EncodedExpert[][] all = new EncodedExpert[c.numLayers()][c.numExperts()];
        for (EncodedExpert[] row : all) java.util.Arrays.fill(row, e);
        return all;
    }
}
