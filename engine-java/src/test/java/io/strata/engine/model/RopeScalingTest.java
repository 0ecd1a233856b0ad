// RopeScaling against transformers' YaRN (tools/gpu/make_rope_golden.py) and its config errors.
package io.strata.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.engine.checkpoint.CheckpointException;
import org.junit.jupiter.api.Test;

class RopeScalingTest {
    private static final ObjectMapper OM = new ObjectMapper();

    private static JsonNode ref(String name) throws Exception {
        return OM.readTree(RopeScalingTest.class.getResource("/golden/rope/yarn.json")).get(name);
    }

    private static void assertMatches(JsonNode r, RopeScaling rope) {
        JsonNode f = r.get("inv_freq");
        assertEquals(f.size(), rope.invFreq().length);
        for (int i = 0; i < f.size(); i++) {
            double want = f.get(i).asDouble();
            assertEquals(want, rope.invFreq(i), Math.abs(want) * 2e-6, "invFreq[" + i + "]");
        }
        assertEquals(r.get("attention_factor").asDouble(), rope.attentionFactor(), 1e-6);
    }

    @Test
    void gptOssYarnAsReleasedMatchesTransformers() throws Exception {
        // The real gpt-oss-20b config.json: rope_theta beside rope_scaling, truncate false.
        JsonNode c = OM.readTree("""
                {"rope_theta": 150000, "rope_scaling": {"beta_fast": 32.0, "beta_slow": 1.0, "factor": 32.0,
                 "original_max_position_embeddings": 4096, "rope_type": "yarn", "truncate": false}}""");
        assertMatches(ref("gpt_oss_20b"), RopeScaling.parse(c, 64, "config.json"));
    }

    @Test
    void deepSeekYarnWithMscaleMatchesTransformers() throws Exception {
        // transformers 5 form (rope_parameters), truncate left at its default (true), mscale = mscale_all_dim.
        JsonNode c = OM.readTree("""
                {"max_position_embeddings": 163840, "rope_parameters": {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 40.0,
                 "beta_fast": 32, "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0, "original_max_position_embeddings": 4096}}""");
        assertMatches(ref("deepseek_v3"), RopeScaling.parse(c, 64, "config.json"));
    }

    @Test
    void defaultRopeIsThePlainOne() throws Exception {
        RopeScaling r = RopeScaling.parse(OM.readTree("{\"rope_theta\": 10000}"), 16, "config.json");
        assertEquals("default", r.type());
        assertEquals(1f, r.attentionFactor());
        assertEquals(1f, r.invFreq(0));
        assertEquals(Math.pow(10000, -2.0 * 3 / 16), r.invFreq(3), 1e-7);
    }

    @Test
    void badConfigsNameFieldAndExpectation() throws Exception {
        var e = assertThrows(CheckpointException.class, () -> RopeScaling.parse(OM.readTree(
                "{\"rope_scaling\": {\"rope_type\": \"longrope\"}}"), 64, "/m/config.json"));
        assertTrue(e.getMessage().contains("/m/config.json") && e.getMessage().contains("longrope") && e.getMessage().contains("yarn"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> RopeScaling.parse(OM.readTree(
                "{\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 0.5, \"original_max_position_embeddings\": 4096}}"), 64, "/m/config.json"));
        assertTrue(e.getMessage().contains("factor"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> RopeScaling.parse(OM.readTree(
                "{\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": \"big\", \"original_max_position_embeddings\": 4096}}"), 64, "/m/config.json"));
        assertTrue(e.getMessage().contains("rope_scaling.factor must be a number"), e.getMessage());
    }
}
