// The codec store's two paths agree, and the prefetcher only moves traffic earlier.
package io.strata.engine.floe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.compression.codec.FloeCodec;
import io.strata.engine.checkpoint.Checkpoint;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.MoeModel;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

class FloeCodecStoreTest {
    @Test
    void fusedInt4KernelsAndDequantizedInt4GiveTheSameModel() {
        try (Checkpoint ck = Checkpoint.open(FloeTestModels.tinyMoe()); Arena arena = Arena.ofShared()) {
            ModelConfig c = FloeTestModels.config(ck);
            EncodedExperts int4 = EncodedExperts.encode(c, ck, io.strata.compression.codec.ExpertCodecs.byName("int4"), arena);
            float[] fused, deq, dense;
            try (MoeModel m = FloeTestModels.with(ck, new CodecExpertStore(int4, CodecExpertStore.Mode.FUSED))) {
                fused = m.forward(FloeExpertStoreTest.PROMPT, 0, m.newCache(16), true);
            }
            try (MoeModel m = FloeTestModels.with(ck, new CodecExpertStore(int4, CodecExpertStore.Mode.DEQUANTIZED))) {
                deq = m.forward(FloeExpertStoreTest.PROMPT, 0, m.newCache(16), true);
            }
            try (MoeModel m = FloeTestModels.dense(ck)) {
                dense = m.forward(FloeExpertStoreTest.PROMPT, 0, m.newCache(16), true);
            }
            double same = FloeTestModels.relErr(deq, fused), off = FloeTestModels.relErr(dense, deq);
            assertTrue(same < 1e-4, "fused vs dequantized int4 logits: " + same);
            assertTrue(off > 1e-3 && off < 0.3, "int4 vs bf16 logits should differ a little, found " + off);
        }
    }

    @Test
    void prefetchingMovesTrafficAheadWithoutChangingTheOutput() {
        try (Checkpoint ck = Checkpoint.open(FloeTestModels.tinyMoe()); Arena arena = Arena.ofShared()) {
            ModelConfig c = FloeTestModels.config(ck);
            EncodedExperts floe = EncodedExperts.encode(c, ck, new FloeCodec(), arena);
            float[] t = new float[c.numLayers()];
            java.util.Arrays.fill(t, 1.3f);
            FloeExpertStore plain = new FloeExpertStore(floe, t, false), pre = new FloeExpertStore(floe, t, false);
            float[] a, b;
            try (MoeModel m = FloeTestModels.with(ck, plain)) {
                a = m.forward(FloeExpertStoreTest.PROMPT, 0, m.newCache(16), true);
            }
            try (MoeModel m = FloeTestModels.with(ck, pre)) {
                m.addObserver(new FloePrefetcher(m, c.topK()));
                b = m.forward(FloeExpertStoreTest.PROMPT, 0, m.newCache(16), true);
            }
            assertTrue(FloeTestModels.relErr(a, b) < 1e-6, "prefetching must not change the logits");
            var p = plain.totals();
            var q = pre.totals();
            assertEquals(p.activeChannels(), q.activeChannels(), "same masks");
            assertTrue(q.prefetchBytes() > 0, "the prefetcher copied rows");
            assertTrue(q.bytesMoved() < p.bytesMoved(), "on-demand traffic shrinks: " + q.bytesMoved() + " vs " + p.bytesMoved());
            // every row needed was present when needed: demand + useful prefetch covers the plain run's traffic
            assertTrue(q.bytesMoved() + q.prefetchBytes() >= p.bytesMoved());
            try (MoeModel dense = FloeTestModels.dense(ck)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new FloePrefetcher(dense, 2));
                assertTrue(e.getMessage().contains("found CheckpointExpertStore"), e.getMessage());
            }
        }
    }
}
