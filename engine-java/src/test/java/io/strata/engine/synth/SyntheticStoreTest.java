// The synthetic quantized store: the checkpoint's dense tensors, experts of the checkpoint's scale, deterministic.
package io.strata.engine.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.compression.DType;
import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.GroupQuantCodec;
import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.engine.checkpoint.Checkpoint;
import io.strata.engine.api.EngineOptions;
import io.strata.engine.model.Architecture;
import io.strata.engine.store.CodecStoreFiles;
import io.strata.tiering.TieredExpertStore;
import io.strata.tiering.store.PackedStore;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticStoreTest {
    @TempDir
    Path tmp;

    static final SyntheticCheckpoint.Spec SPEC =
            new SyntheticCheckpoint.Spec(Architecture.MIXTRAL, 256, 128, 2, 4, 2, 32, 4, 2, 192, 0, DType.BF16, 3, 1L << 30);

    @Test
    void denseTensorsAreTheCheckpointsAndExpertsHaveItsScale() throws Exception {
        Path ck = SyntheticCheckpoint.write(SPEC, tmp.resolve("ck"), null);
        Path store = SyntheticStore.write(SPEC, "int4", tmp.resolve("store"), false);
        try (Checkpoint c = Checkpoint.open(ck); PackedStore ps = PackedStore.open(store)) {
            assertEquals("int4", ps.codec());
            int dense = 0;
            for (var t : c.tensors().values()) {
                if (t.name().contains(".experts.")) continue;
                MemorySegment got = ps.dense(t.name()).data();
                assertEquals(-1, got.mismatch(t.data()), t.name() + ": same bytes as the checkpoint");
                dense++;
            }
            assertTrue(dense > 10, "dense tensors compared: " + dense);
            var params = CodecStoreFiles.read(ps).experts();
            for (int l = 0; l < SPEC.layers(); l++) {
                for (int e = 0; e < SPEC.experts(); e++) {
                    var entry = ps.expert(l, e);
                    MemorySegment region = java.lang.foreign.Arena.ofAuto().allocate(entry.length(), 4096);
                    ps.readExpert(l, e, region);
                    var blob = entry.matrix(CodecStoreFiles.BLOB);
                    EncodedExpert enc = new EncodedExpert(params[l][e], region.asSlice(blob.offset(), blob.length()));
                    for (String part : new String[] {"gate", "up", "down"}) {
                        float[] w = GroupQuantCodec.view(enc, part).dequantize();
                        int cols = part.equals("down") ? SPEC.expertInter() : SPEC.hidden();
                        double mean = 0, sq = 0;
                        for (float v : w) mean += v;
                        mean /= w.length;
                        for (float v : w) sq += (v - mean) * (v - mean);
                        double std = Math.sqrt(sq / w.length), want = 1 / Math.sqrt(cols);
                        assertTrue(Math.abs(std / want - 1) < 0.1, part + " of " + l + "/" + e + ": std " + std + ", checkpoint's " + want);
                        assertTrue(Math.abs(mean) < 0.05 * want, part + ": mean " + mean);
                    }
                }
            }
        }
    }

    @Test
    void deterministicServableAndRefusesOtherCodecs() throws Exception {
        Path a = SyntheticStore.write(SPEC, "int2", tmp.resolve("a"), false);
        Path b = SyntheticStore.write(SPEC, "int2", tmp.resolve("b"), false);
        try (PackedStore pa = PackedStore.open(a); PackedStore pb = PackedStore.open(b)) {
            for (int l = 0; l < SPEC.layers(); l++) {
                for (int e = 0; e < SPEC.experts(); e++) assertEquals(pa.expert(l, e).crc32c(), pb.expert(l, e).crc32c());
            }
            assertTrue(pa.expert(0, 0).crc32c() != pa.expert(0, 1).crc32c(), "experts differ from each other");
        }
        try (StrataModel m = ModelLoader.load(a, EngineOptions.builder().backend("cpu").context(32).build())) {
            assertTrue(m.model().store() instanceof TieredExpertStore t && !t.layouts().isEmpty()
                    && t.layouts().get(0) instanceof io.strata.tiering.ExpertLayout.GroupQuant);
            float[] logits = m.model().forward(new int[] {1, 5, 9}, 0, m.model().newCache(8), false);
            double sum = 0;
            for (float v : logits) {
                assertTrue(Float.isFinite(v));
                sum += Math.abs(v);
            }
            assertTrue(sum > 0);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SyntheticStore.write(SPEC, "floe", tmp.resolve("f"), false));
        assertTrue(e.getMessage().contains("group-quantizing"), e.getMessage());
    }
}
