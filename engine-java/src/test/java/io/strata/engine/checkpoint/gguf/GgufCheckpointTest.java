// Tiny models written as GGUF by the gguf Python package give the logits of their safetensors twins, read and packed.
package io.strata.engine.checkpoint.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.compression.ggml.GgmlType;
import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.engine.backend.cpu.CpuBackend;
import io.strata.engine.checkpoint.Checkpoint;
import io.strata.engine.checkpoint.WeightSource;
import io.strata.engine.model.GoldenForwardTest;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.MoeModel;
import io.strata.engine.store.CheckpointExpertStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Fixtures in src/test/resources/gguf were made by tools/gguf-fixtures/make_tiny_gguf.py (gguf
 * 0.19.0) from the golden tiny models; each twin holds exactly the values its GGUF file holds
 * (Mixtral's and DeepSeek-V2's twins are the golden models themselves: F32 both).
 */
public class GgufCheckpointTest {
    @TempDir
    Path tmp;

    static Path gguf(String name) throws Exception {
        Path dir = Path.of(GgufCheckpointTest.class.getResource("/gguf/" + name).toURI());
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".gguf")).sorted().findFirst().orElseThrow();
        }
    }

    static Path twin(String name, String goldenArch) throws Exception {
        Path t = Path.of(GgufCheckpointTest.class.getResource("/gguf/" + name).toURI()).resolve("twin");
        return Files.isDirectory(t) ? t : GoldenForwardTest.fixture(goldenArch);
    }

    public static int[] inputIds(String goldenArch) throws Exception {
        JsonNode g = new ObjectMapper().readTree(GoldenForwardTest.fixture(goldenArch).resolve("golden.json").toFile());
        int[] ids = new int[g.get("input_ids").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = g.get("input_ids").get(i).asInt();
        return ids;
    }

    public static float[] logits(ModelConfig c, WeightSource w, int[] ids) {
        try (MoeModel m = new MoeModel(c, w, new CheckpointExpertStore(c, w), new CpuBackend())) {
            return m.forward(ids, 0, m.newCache(64), true);
        }
    }

    @ParameterizedTest
    @CsvSource({"mixtral-f32,mixtral", "qwen2_moe-f16,qwen2_moe", "olmoe-bf16,olmoe", "qwen3_moe-q8_0,qwen3_moe",
            "deepseek2-v2-f32,deepseek_v2", "deepseek2-v3-f16,deepseek_v3", "glm4moe-q8_0,glm4_moe"})
    void ggufGivesTheLogitsOfItsSafetensorsTwin(String name, String arch) throws Exception {
        int[] ids = inputIds(arch);
        Path twinDir = twin(name, arch);
        float[] want;
        ModelConfig tc;
        try (Checkpoint ck = Checkpoint.open(twinDir)) {
            tc = ModelConfig.parse(ck.config(), twinDir);
            want = logits(tc, ck, ids);
        }
        try (GgufCheckpoint g = GgufCheckpoint.open(gguf(name))) {
            ModelConfig c = ModelConfig.parse(g.config(), "gguf");
            assertEquals(tc.arch(), c.arch());
            assertEquals(tc.vocabSize(), c.vocabSize());
            assertEquals(tc.hidden(), c.hidden());
            assertEquals(tc.numLayers(), c.numLayers());
            assertEquals(tc.numHeads(), c.numHeads());
            assertEquals(tc.numKvHeads(), c.numKvHeads());
            assertEquals(tc.headDim(), c.headDim());
            assertEquals(tc.numExperts(), c.numExperts());
            assertEquals(tc.topK(), c.topK());
            assertEquals(tc.normTopK(), c.normTopK());
            assertEquals(tc.expertIntermediate(), c.expertIntermediate());
            assertEquals(tc.sharedIntermediate(), c.sharedIntermediate());
            assertEquals(tc.qkvBias(), c.qkvBias());
            assertEquals(tc.clipQkv(), c.clipQkv());
            assertEquals(tc.ropeTheta(), c.ropeTheta());
            assertEquals(tc.rmsEps(), c.rmsEps());
            assertArrayEquals(tc.moeLayer(), c.moeLayer());
            assertEquals(tc.mla(), c.mla(), name + ": MLA shape");
            assertEquals(tc.router(), c.router(), name + ": routing");
            if (tc.numMoeLayers() < tc.numLayers()) assertEquals(tc.denseIntermediate(), c.denseIntermediate()); // only read where a dense layer is
            assertEquals(tc.rotary().type(), c.rotary().type());
            assertArrayEquals(tc.rotary().freqs().invFreq(), c.rotary().freqs().invFreq(), 1e-6f, name + ": rope frequencies");
            assertEquals(tc.rotary().softmaxMscale(), c.rotary().softmaxMscale(), 1e-6f);
            float[] got = logits(c, g, ids);
            // The same values in the same dtypes (Q8_0 dequantized to F32 both ways): the same logits.
            assertArrayEquals(want, got, 1e-5f, name);
            if (name.endsWith("q8_0")) assertEquals(java.util.List.of(GgmlType.Q8_0), g.convertedTypes());
            else assertTrue(g.convertedTypes().isEmpty(), name + ": plain float types are served as they are");
        }
    }

    @Test
    void shardedMixtralMatchesTransformers() throws Exception {
        Path first = gguf("mixtral-f32");
        assertTrue(first.getFileName().toString().equals("model-00001-of-00002.gguf"), first.toString());
        try (GgufModel g = GgufModel.open(first.resolveSibling("model-00002-of-00002.gguf"))) {
            assertEquals(2, g.files().size());
            assertEquals("llama", g.metadata().get("general.architecture"));
        }
        // The golden test's own assertions (logits, router top-k, greedy tokens) on the GGUF file.
        JsonNode golden = new ObjectMapper().readTree(GoldenForwardTest.fixture("mixtral").resolve("golden.json").toFile());
        try (GgufCheckpoint g = GgufCheckpoint.open(first)) {
            ModelConfig c = ModelConfig.parse(g.config(), "gguf");
            float[] got = logits(c, g, inputIds("mixtral"));
            double num = 0, den = 0;
            for (int t = 0; t < golden.get("logits").size(); t++) {
                for (int v = 0; v < c.vocabSize(); v++) {
                    double r = golden.get("logits").get(t).get(v).asDouble(), d = got[t * c.vocabSize() + v] - r;
                    num += d * d;
                    den += r * r;
                }
            }
            assertTrue(Math.sqrt(num / den) < 1e-4, "relative logits error " + Math.sqrt(num / den));
        }
    }
}
