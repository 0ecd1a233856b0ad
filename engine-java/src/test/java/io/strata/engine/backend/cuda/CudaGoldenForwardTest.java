// End to end on the GPU: logits, router top-k and greedy tokens of the tiny golden models through
// the CUDA backend against Hugging Face transformers (fixtures of GoldenForwardTest; skipped without a GPU).
package io.strata.engine.backend.cuda;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.engine.backend.KvCache;
import io.strata.engine.checkpoint.Checkpoint;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.MoeModel;
import io.strata.engine.moe.RoutingObserver;
import io.strata.engine.store.CheckpointExpertStore;
import io.strata.kernels.cuda.CudaAvailability;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CudaGoldenForwardTest {
    @BeforeAll
    static void requireGpu() {
        Assumptions.assumeTrue(CudaAvailability.available(), CudaAvailability.reason());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mixtral", "qwen3_moe", "olmoe", "qwen2_moe"})
    void logitsRoutingAndGreedyMatchTransformers(String arch) throws Exception {
        Path dir = Path.of(CudaGoldenForwardTest.class.getResource("/golden/" + arch + "/config.json").toURI()).getParent();
        JsonNode g = new ObjectMapper().readTree(dir.resolve("golden.json").toFile());
        try (Checkpoint ck = Checkpoint.open(dir); CudaBackend be = CudaBackend.create()) {
            ModelConfig c = ModelConfig.parse(ck.config(), dir);
            try (MoeModel m = new MoeModel(c, ck, new CheckpointExpertStore(c, ck), be)) {
                int[] ids = ints(g.get("input_ids"));
                List<int[][]> routes = new ArrayList<>();
                m.addObserver(new RoutingObserver() {
                    @Override
                    public void onRouted(int layer, int pos0, int[][] experts, float[][] weights) {
                        routes.add(experts);
                    }
                });
                KvCache cache = m.newCache(64);
                float[] logits = m.forward(ids, 0, cache, true);
                int vocab = c.vocabSize();
                JsonNode ref = g.get("logits");
                double num = 0, den = 0;
                for (int t = 0; t < ids.length; t++) {
                    for (int v = 0; v < vocab; v++) {
                        double r = ref.get(t).get(v).asDouble(), d = logits[t * vocab + v] - r;
                        num += d * d;
                        den += r * r;
                    }
                }
                double rel = Math.sqrt(num / den);
                assertTrue(rel < 1e-4, arch + ": relative logits error " + rel);
                for (int l = 0; l < c.numLayers(); l++) {
                    for (int t = 0; t < ids.length; t++) {
                        assertArrayEquals(ints(g.get("router_topk").get(l).get(t)), routes.get(l)[t], arch + " layer " + l + " token " + t);
                    }
                }
                int[] greedy = ints(g.get("greedy"));
                KvCache c2 = m.newCache(64);
                float[] last = m.forward(ids, 0, c2, false);
                int pos = ids.length;
                for (int i = 0; i < greedy.length; i++) {
                    int next = argmax(last);
                    assertEquals(greedy[i], next, arch + ": greedy token " + i);
                    last = m.forward(new int[] {next}, pos++, c2, false);
                }
                System.out.printf("%s on %s: relative logits error %.2e, experts cache hits/misses %s%n", arch, be.name(), rel,
                        java.util.Arrays.toString(be.expertCacheStats()));
            }
        }
    }

    static int argmax(float[] a) {
        int b = 0;
        for (int i = 1; i < a.length; i++) if (a[i] > a[b]) b = i;
        return b;
    }

    static int[] ints(JsonNode n) {
        int[] r = new int[n.size()];
        for (int i = 0; i < r.length; i++) r[i] = n.get(i).asInt();
        return r;
    }
}
