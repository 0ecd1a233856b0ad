// The shipped trained model (models/tiny-moe): our greedy output equals transformers' for fixed prompts.
package io.strata.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.engine.backend.cpu.CpuBackend;
import io.strata.engine.checkpoint.Checkpoint;
import io.strata.engine.generate.GenerationRequest;
import io.strata.engine.generate.GenerationResult;
import io.strata.engine.generate.Generator;
import io.strata.engine.generate.SamplingConfig;
import io.strata.engine.store.CheckpointExpertStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Reference: models/tiny-moe/golden-greedy.json, made by tools/gpu/train_tiny_moe.py (transformers, float32, CPU). */
class TrainedModelGoldenTest {
    static Path modelDir() {
        Path root = Path.of(System.getProperty("strata.root", "."));
        return root.resolve("models/tiny-moe");
    }

    @Test
    void greedyContinuationsAndLogitsMatchTransformers() throws Exception {
        Path dir = modelDir();
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("model.safetensors")), "models/tiny-moe not found at " + dir);
        JsonNode gold = new ObjectMapper().readTree(dir.resolve("golden-greedy.json").toFile());
        try (Checkpoint ck = Checkpoint.open(dir)) {
            ModelConfig c = ModelConfig.parse(ck.config(), dir);
            try (MoeModel m = new MoeModel(c, ck, new CheckpointExpertStore(c, ck), new CpuBackend())) {
                for (Iterator<Map.Entry<String, JsonNode>> it = gold.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    int[] prompt = GoldenForwardTest.ints(e.getValue().get("prompt_ids"));
                    int[] want = GoldenForwardTest.ints(e.getValue().get("greedy_ids"));
                    float[] logits = m.forward(prompt, 0, m.newCache(64), false);
                    JsonNode ref = e.getValue().get("last_logits");
                    double num = 0, den = 0;
                    for (int v = 0; v < c.vocabSize(); v++) {
                        double d = logits[v] - ref.get(v).asDouble();
                        num += d * d;
                        den += ref.get(v).asDouble() * ref.get(v).asDouble();
                    }
                    assertTrue(Math.sqrt(num / den) < 1e-4, e.getKey() + ": relative logits error " + Math.sqrt(num / den));
                    GenerationResult r = new Generator(m).generate(
                            new GenerationRequest(prompt, want.length, new int[0], SamplingConfig.GREEDY), null);
                    // transformers stops at EOS (id 2) and pads; compare up to its length.
                    assertArrayEquals(want, java.util.Arrays.copyOf(r.tokens(), want.length), e.getKey());
                }
            }
        }
    }
}
