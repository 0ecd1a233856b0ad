// Bad DeepSeek/GLM configs are refused naming config.json, the field and what was expected.
package io.strata.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.engine.checkpoint.CheckpointException;
import io.strata.engine.moe.RouterSpec;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class MlaConfigTest {
    private static ObjectNode fixture(String arch) throws Exception {
        Path dir = GoldenForwardTest.fixture(arch);
        return (ObjectNode) new ObjectMapper().readTree(dir.resolve("config.json").toFile());
    }

    private static String refused(String arch, Consumer<ObjectNode> edit) throws Exception {
        ObjectNode c = fixture(arch);
        edit.accept(c);
        return assertThrows(CheckpointException.class, () -> ModelConfig.parse(c, Path.of("/m"))).getMessage();
    }

    @Test
    void fixturesParseToTheirShapes() throws Exception {
        ModelConfig v2 = ModelConfig.parse(fixture("deepseek_v2"), Path.of("/m"));
        assertEquals(new ModelConfig.Mla(0, 32, 16, 8, 12, true), v2.mla());
        assertEquals(RouterSpec.Scoring.SOFTMAX, v2.router().scoring());
        assertEquals(32 * 2, v2.sharedIntermediate()); // moe_intermediate_size x n_shared_experts
        assertTrue(!v2.moeLayer()[0] && v2.moeLayer()[1] && v2.moeLayer()[2]);
        ModelConfig v3 = ModelConfig.parse(fixture("deepseek_v3"), Path.of("/m"));
        assertEquals(24, v3.mla().qLoraRank());
        assertEquals(new RouterSpec(RouterSpec.Scoring.SIGMOID, 4, 2, true, true, 2.5f), v3.router());
        assertEquals("yarn", v3.rotary().type());
        ModelConfig glm = ModelConfig.parse(fixture("glm4_moe"), Path.of("/m"));
        assertEquals(null, glm.mla());
        assertEquals(8, glm.rotary().freqs().rotaryDim()); // head_dim 16 x partial_rotary_factor 0.5
        assertTrue(!glm.rotary().plain());
        assertTrue(glm.qkvBias());
    }

    @Test
    void missingKvLoraRank() throws Exception {
        String m = refused("deepseek_v3", c -> c.remove("kv_lora_rank"));
        assertTrue(m.contains("/m/config.json") && m.contains("kv_lora_rank"), m);
    }

    @Test
    void nGroupMustDivideTheExperts() throws Exception {
        String m = refused("deepseek_v3", c -> c.put("n_group", 3));
        assertTrue(m.contains("config.json") && m.contains("n_group") && m.contains("divide n_routed_experts 16"), m);
    }

    @Test
    void topkGroupAtMostNGroup() throws Exception {
        String m = refused("glm4_moe", c -> c.put("topk_group", 3));
        assertTrue(m.contains("config.json") && m.contains("topk_group") && m.contains("n_group 2"), m);
    }

    @Test
    void moreExpertsPerTokenThanTheKeptGroupsHold() throws Exception {
        String m = refused("deepseek_v3", c -> c.put("num_experts_per_tok", 9)); // 2 groups of 4 experts kept
        assertTrue(m.contains("num_experts_per_tok 9") && m.contains("topk_group 2"), m);
    }

    @Test
    void unknownScoringAndRopeAreNamed() throws Exception {
        String m = refused("deepseek_v3", c -> c.put("scoring_func", "sqrtsoftplus"));
        assertTrue(m.contains("scoring_func") && m.contains("sqrtsoftplus"), m);
        m = refused("deepseek_v2", c -> ((ObjectNode) c.get("rope_parameters")).put("rope_type", "longrope"));
        assertTrue(m.contains("rope_type 'longrope'") && m.contains("config.json"), m);
        m = refused("deepseek_v2", c -> c.put("qk_rope_head_dim", 7));
        assertTrue(m.contains("qk_rope_head_dim") && m.contains("7"), m);
    }
}
