// Bytes per decode token for every model family the golden fixtures cover, against the checkpoint's own tensor sizes.
package io.strata.bench.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.engine.api.EngineOptions;
import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.engine.checkpoint.ModelSource;
import io.strata.engine.checkpoint.TensorInfo;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.TensorNames;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ActiveBytesTest {
    static Path golden(String family) {
        Path p = Path.of(System.getProperty("strata.root", ".."), "engine-java", "src", "test", "resources", "golden", family);
        Assumptions.assumeTrue(Files.isRegularFile(p.resolve("config.json")), "golden fixture not found at " + p);
        return p;
    }

    /**
     * The checkpoint's count: every 2-D tensor but the routed experts (norms and biases are not counted by perToken
     * either), the embedding as one row, the head unless tied, and top-k experts per MoE layer.
     */
    static long fromCheckpoint(Path dir) {
        try (ModelSource src = ModelSource.open(dir)) {
            ModelConfig c = ModelConfig.parse(src.config(), dir);
            Set<String> experts = new HashSet<>();
            long expert = 0;
            for (int l = 0; l < c.numLayers(); l++) {
                if (!c.moeLayer()[l]) continue;
                experts.addAll(TensorNames.expertTensors(c.arch(), l, c.numExperts()));
                if (expert == 0) for (int p = 0; p < 3; p++) expert += src.load(TensorNames.expert(c.arch(), l, 0, p)).data().byteSize();
            }
            long b = (long) c.topK() * expert * c.numMoeLayers();
            for (String n : src.tensorNames()) {
                if (experts.contains(n)) continue;
                TensorInfo t = src.load(n);
                if (t.shape().length != 2 || n.contains("bias")) continue;
                long bytes = t.data().byteSize();
                if (n.equals(TensorNames.EMBED)) {
                    b += bytes / c.vocabSize() + (c.tieEmbeddings() || !src.has(TensorNames.LM_HEAD) ? bytes : 0);
                } else {
                    b += bytes;
                }
            }
            return b;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mixtral", "qwen2_moe", "qwen3_moe", "olmoe", "deepseek_v2", "deepseek_v3", "glm4_moe"})
    void perTokenBytesMatchTheCheckpoint(String family) throws Exception {
        Path dir = golden(family);
        try (StrataModel m = ModelLoader.load(dir, EngineOptions.builder().backend("cpu").context(8).build())) {
            long got = ActiveBytes.perToken(m), want = fromCheckpoint(dir);
            assertEquals(want, got, family);
        }
    }
}
