// Multi-head latent attention keeps the compressed cache: kv_lora_rank + qk_rope_head_dim floats per position and layer.
package io.strata.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.strata.engine.backend.KvCache;
import io.strata.engine.backend.LatentCache;
import io.strata.engine.backend.cpu.CpuBackend;
import io.strata.engine.checkpoint.Checkpoint;
import io.strata.engine.store.CheckpointExpertStore;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MlaCacheTest {
    @ParameterizedTest
    @ValueSource(strings = {"deepseek_v2", "deepseek_v3"})
    void cacheHoldsTheLatentAndTheRopeKeyOnly(String arch) throws Exception {
        Path dir = GoldenForwardTest.fixture(arch);
        try (Checkpoint ck = Checkpoint.open(dir)) {
            ModelConfig c = ModelConfig.parse(ck.config(), dir);
            try (MoeModel m = new MoeModel(c, ck, new CheckpointExpertStore(c, ck), new CpuBackend())) {
                int positions = 24;
                KvCache cache = m.newCache(positions);
                LatentCache lc = assertInstanceOf(LatentCache.class, cache);
                assertEquals(c.mla().kvLoraRank(), lc.latentDim());
                assertEquals(c.mla().qkRopeHeadDim(), lc.ropeDim());
                int[] ids = new int[positions];
                for (int i = 0; i < positions; i++) ids[i] = (7 * i + 3) % c.vocabSize();
                m.forward(ids, 0, cache, false);
                // Filled to capacity: every layer holds exactly positions rows of kv_lora_rank + qk_rope_head_dim f32.
                long perPosition = (long) c.numLayers() * (c.mla().kvLoraRank() + c.mla().qkRopeHeadDim()) * Float.BYTES;
                assertEquals(perPosition * positions, cache.bytes(), arch + ": cache bytes");
                assertEquals(perPosition, c.kvBytesPerPosition());
                // The expanded K/V this replaces: heads x (qk_head_dim + v_head_dim) per position and layer.
                long expanded = (long) c.numLayers() * c.numHeads() * (c.mla().qkHeadDim() + c.mla().vHeadDim()) * Float.BYTES;
                System.out.printf("%s: %d cache bytes per position (expanded K/V would be %d)%n", arch, perPosition, expanded);
            }
        }
    }

    /** Continuous batching runs MLA per sequence over its own latent cache: each row equals the sequence decoded alone. */
    @ParameterizedTest
    @ValueSource(strings = {"deepseek_v3", "glm4_moe"})
    void batchedDecodeEqualsSoloDecode(String arch) throws Exception {
        Path dir = GoldenForwardTest.fixture(arch);
        try (Checkpoint ck = Checkpoint.open(dir)) {
            ModelConfig c = ModelConfig.parse(ck.config(), dir);
            try (MoeModel m = new MoeModel(c, ck, new CheckpointExpertStore(c, ck), new CpuBackend())) {
                int[] a = {1, 5, 9, 200, 31}, b = {1, 77, 3};
                KvCache ca = m.newCache(16), cb = m.newCache(16);
                m.forward(a, 0, ca, false);
                m.forward(b, 0, cb, false);
                float[] batched = m.forwardBatch(new int[] {42, 43}, new int[] {a.length, b.length}, new KvCache[] {ca, cb});
                KvCache sa = m.newCache(16), sb = m.newCache(16);
                m.forward(a, 0, sa, false);
                m.forward(b, 0, sb, false);
                float[] la = m.forward(new int[] {42}, a.length, sa, false), lb = m.forward(new int[] {43}, b.length, sb, false);
                int V = c.vocabSize();
                assertArrayEquals(la, java.util.Arrays.copyOfRange(batched, 0, V), 1e-5f, arch + " row 0");
                assertArrayEquals(lb, java.util.Arrays.copyOfRange(batched, V, 2 * V), 1e-5f, arch + " row 1");
            }
        }
    }
}
