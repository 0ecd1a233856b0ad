// Golden test: logits, router top-k and greedy tokens of tiny random models against Hugging Face transformers.
package io.strata.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.compression.kernel.Kernels;
import io.strata.engine.backend.Backend;
import io.strata.engine.backend.KvCache;
import io.strata.engine.backend.cpu.CpuBackend;
import io.strata.engine.checkpoint.Checkpoint;
import io.strata.engine.moe.RoutingObserver;
import io.strata.engine.store.CheckpointExpertStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleConsumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Fixtures in src/test/resources/golden/ARCH were made by tools/gpu/make_golden.py with
 * transformers 5.17 (float32, CPU, eager attention): a 2-layer random model per architecture; deepseek_v2,
 * deepseek_v3 and glm4_moe (3 layers, the first dense) by tools/gpu/make_golden_mla.py with transformers 5.18.
 */
public class GoldenForwardTest {
    public static Path fixture(String arch) throws Exception {
        return Path.of(GoldenForwardTest.class.getResource("/golden/" + arch + "/config.json").toURI()).getParent();
    }

    @ParameterizedTest
    @CsvSource({"mixtral,vector", "qwen3_moe,vector", "olmoe,vector", "qwen2_moe,vector", "mixtral,scalar", "qwen2_moe,scalar",
            "gpt_oss,vector", "gpt_oss,scalar", "gpt_oss_mxfp4,vector",
            "deepseek_v2,vector", "deepseek_v3,vector", "glm4_moe,vector", "deepseek_v3,scalar", "glm4_moe,scalar"})
    void logitsRoutingAndGreedyMatchTransformers(String arch, String kernels) throws Exception {
        assertMatchesTransformers(arch, kernels.equals("scalar") ? new CpuBackend(Kernels.scalar()) : new CpuBackend(), rel -> {});
    }

    /**
     * Runs the golden model of arch on be (which the model then owns and closes) and asserts
     * logits, router top-k and greedy tokens; onLogitsError receives the relative logits error
     * while the backend is still open. Shared by every backend's golden test.
     */
    public static void assertMatchesTransformers(String arch, Backend be, DoubleConsumer onLogitsError) throws Exception {
        Path dir = fixture(arch);
        JsonNode g = new ObjectMapper().readTree(dir.resolve("golden.json").toFile());
        try (Checkpoint ck = Checkpoint.open(dir)) {
            ModelConfig c = ModelConfig.parse(ck.config(), dir);
            // As StrataModel.load builds it: dense weights resident first; on a GPU the store owns a VRAM fast tier.
            var weights = new ModelWeights(c, ck, be);
            var vram = io.strata.engine.api.ModelLoader.vramTier(be, io.strata.engine.api.ModelLoader.denseSlotParts(c, ck), c, 64);
            var store = vram == null ? new CheckpointExpertStore(c, ck)
                    : new CheckpointExpertStore(c, ck, vram, new io.strata.tiering.policy.LruPolicy());
            try (MoeModel m = new MoeModel(c, weights, store, be)) {
                onLogitsError.accept(assertMatchesGolden(g, m, arch));
            }
        }
    }

    /**
     * Asserts logits (relative error below 1e-4), router top-k of every layer and token, and the greedy continuation
     * (one token at a time through the KV cache) of m against the golden g; returns the relative logits error.
     */
    public static double assertMatchesGolden(JsonNode g, MoeModel m, String what) {
        ModelConfig c = m.config();
        String arch = what;
        int[] ids = ints(g.get("input_ids"));
        java.util.Map<Integer, int[][]> routes = new java.util.HashMap<>(); // the prompt's routing per MoE layer
        RoutingObserver ob = new RoutingObserver() {
            @Override
            public void onRouted(int layer, int pos0, int[][] experts, float[][] weights) {
                routes.putIfAbsent(layer, experts);
            }
        };
        m.addObserver(ob);
        KvCache cache = m.newCache(64);
        float[] logits = m.forward(ids, 0, cache, true);
        m.removeObserver(ob);
        int V = c.vocabSize();
        JsonNode ref = g.get("logits");
        double num = 0, den = 0;
        for (int t = 0; t < ids.length; t++) {
            for (int v = 0; v < V; v++) {
                double d = logits[t * V + v] - ref.get(t).get(v).asDouble();
                num += d * d;
                den += ref.get(t).get(v).asDouble() * ref.get(t).get(v).asDouble();
            }
        }
        double rel = Math.sqrt(num / den);
        assertTrue(rel < 1e-4, arch + ": relative logits error " + rel);
        // Fixtures with dense layers list the MoE layers whose routing they hold; the older ones route every layer.
        int[] routed = g.has("router_layers") ? ints(g.get("router_layers")) : java.util.stream.IntStream.range(0, c.numLayers()).toArray();
        assertEquals(routed.length, routes.size(), arch + ": layers that routed");
        for (int i = 0; i < routed.length; i++) {
            int l = routed[i];
            for (int t = 0; t < ids.length; t++) {
                assertArrayEquals(ints(g.get("router_topk").get(i).get(t)), routes.get(l)[t], arch + " layer " + l + " token " + t);
            }
        }
        // Greedy continuation with the KV cache, one token at a time.
        int[] greedy = ints(g.get("greedy"));
        KvCache c2 = m.newCache(64);
        float[] last = m.forward(ids, 0, c2, false);
        int pos = ids.length;
        for (int i = 0; i < greedy.length; i++) {
            int next = argmax(last);
            assertEquals(greedy[i], next, arch + ": greedy token " + i);
            last = m.forward(new int[] {next}, pos++, c2, false);
        }
        return rel;
    }

    public static int argmax(float[] a) {
        int b = 0;
        for (int i = 1; i < a.length; i++) if (a[i] > a[b]) b = i;
        return b;
    }

    public static int[] ints(JsonNode n) {
        int[] r = new int[n.size()];
        for (int i = 0; i < r.length; i++) r[i] = n.get(i).asInt();
        return r;
    }
}
