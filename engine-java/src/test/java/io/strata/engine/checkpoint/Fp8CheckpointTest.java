// Block-scaled FP8 checkpoints (F8_E4M3 + weight_scale_inv) load, run, pack and fail clearly.
package io.strata.engine.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.compression.DType;
import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.engine.checkpoint.gguf.GgufCheckpointTest;
import io.strata.engine.model.ModelConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * src/test/resources/fp8/qwen3_moe-fp8 was made by tools/fp8-fixtures/make_fp8_fixtures.py with
 * PyTorch's float8_e4m3fn from the golden tiny Qwen3-MoE: every projection F8_E4M3 in 32x32
 * blocks with F32 weight_scale_inv; its twin holds torch's dequantized values.
 */
class Fp8CheckpointTest {
    @TempDir
    Path tmp;

    static Path fixture() throws Exception {
        return Path.of(Fp8CheckpointTest.class.getResource("/fp8/qwen3_moe-fp8/config.json").toURI()).getParent();
    }

    @Test
    void fp8CheckpointGivesTheLogitsOfItsDequantizedTwin() throws Exception {
        int[] ids = GgufCheckpointTest.inputIds("qwen3_moe");
        float[] want, got;
        try (Checkpoint ck = Checkpoint.open(fixture().resolve("twin"))) {
            want = GgufCheckpointTest.logits(ModelConfig.parse(ck.config(), ck.dir()), ck, ids);
        }
        try (Checkpoint ck = Checkpoint.open(fixture())) {
            assertTrue(ck.hasFp8());
            assertEquals(DType.F8_E4M3, ck.tensors().get("model.layers.0.self_attn.q_proj.weight").dtype());
            assertTrue(ck.tensorNames().stream().noneMatch(n -> n.endsWith("_scale_inv")), "scales travel with their weights");
            assertEquals(DType.F32, ck.load("model.layers.1.mlp.experts.7.down_proj.weight").dtype());
            got = GgufCheckpointTest.logits(ModelConfig.parse(ck.config(), ck.dir()), ck, ids);
        }
        assertArrayEquals(want, got, 1e-5f);
    }


    @Test
    void missingOrMisshapenScalesAreNamed() throws Exception {
        // (40, 3) F8_E4M3 with 32x32 blocks needs scales (2, 1).
        String cfg = "{\"model_type\":\"mixtral\",\"quantization_config\":{\"weight_block_size\":[32,32]}}";
        Path d1 = Files.createDirectories(tmp.resolve("noscale"));
        Files.writeString(d1.resolve("config.json"), cfg);
        CheckpointTest.writeSafetensors(d1.resolve("model.safetensors"),
                "{\"w.weight\":{\"dtype\":\"F8_E4M3\",\"shape\":[40,3],\"data_offsets\":[0,120]}}", new byte[120]);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(d1));
        assertTrue(e.getMessage().contains("w.weight") && e.getMessage().contains("w.weight_scale_inv") && e.getMessage().contains("[2, 1]"), e.getMessage());
        Path d2 = Files.createDirectories(tmp.resolve("badscale"));
        Files.writeString(d2.resolve("config.json"), cfg);
        CheckpointTest.writeSafetensors(d2.resolve("model.safetensors"),
                "{\"w.weight\":{\"dtype\":\"F8_E4M3\",\"shape\":[40,3],\"data_offsets\":[0,120]},"
                        + "\"w.weight_scale_inv\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[120,124]}}", new byte[124]);
        e = assertThrows(CheckpointException.class, () -> Checkpoint.open(d2));
        assertTrue(e.getMessage().contains("w.weight_scale_inv") && e.getMessage().contains("[1, 1]") && e.getMessage().contains("[2, 1]"), e.getMessage());
    }
}
