// gpt-oss experts: the MXFP4 checkpoint form against the dequantized twin transformers saved, the mxfp4 codec
// against gguf's reference quantizer (the fixture's blocks), and the errors on malformed MXFP4 tensors.
package io.strata.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.compression.codec.Mxfp4Codec;
import io.strata.engine.checkpoint.Checkpoint;
import io.strata.engine.checkpoint.CheckpointException;
import io.strata.engine.checkpoint.CheckpointTest;
import io.strata.engine.checkpoint.TensorInfo;
import io.strata.tiering.ExpertWeights;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GptOssExpertsTest {
    @TempDir
    Path tmp;

    @Test
    void mxfp4CheckpointDecodesToTheDequantizedTwin() throws Exception {
        try (Checkpoint mx = Checkpoint.open(GoldenForwardTest.fixture("gpt_oss_mxfp4"));
             Checkpoint dq = Checkpoint.open(GoldenForwardTest.fixture("gpt_oss"))) {
            ModelConfig c = ModelConfig.parse(mx.config(), mx.dir());
            assertEquals(ModelConfig.parse(dq.config(), dq.dir()).rope(), c.rope(), "rope_scaling + rope_theta read as rope_parameters");
            assertTrue(GptOssExperts.isMxfp4(mx, 0) && !GptOssExperts.isMxfp4(dq, 0));
            for (int l = 0; l < c.numLayers(); l++) {
                for (int e = 0; e < c.numExperts(); e++) {
                    ExpertWeights a = c.expert(mx, l, e), b = c.expert(dq, l, e);
                    for (int p = 0; p < 3; p++) {
                        var ma = p == 0 ? a.gate() : p == 1 ? a.up() : a.down();
                        var mb = p == 0 ? b.gate() : p == 1 ? b.up() : b.down();
                        assertEquals(mb.rows(), ma.rows());
                        for (int r = 0; r < ma.rows(); r++) {
                            for (int k = 0; k < ma.cols(); k++) {
                                assertEquals(mb.get(r, k), ma.get(r, k), 0f, "layer " + l + " expert " + e + " part " + p + " (" + r + ", " + k + ")");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void mxfp4CodecReproducesTheReferenceQuantizersBlocks() throws Exception {
        // The fixture's blocks and scales are gguf-py's MXFP4.quantize_blocks output (tools/gpu/make_golden_gpt_oss.py):
        // encoding the decoded expert again must give the same scale and the same code for every element.
        try (Checkpoint mx = Checkpoint.open(GoldenForwardTest.fixture("gpt_oss_mxfp4")); Arena arena = Arena.ofConfined()) {
            ModelConfig c = ModelConfig.parse(mx.config(), mx.dir());
            int h = c.hidden(), inter = c.expertIntermediate(), gb = h / 32;
            TensorInfo blocks = mx.load("model.layers.1.mlp.experts.gate_up_proj_blocks");
            TensorInfo scales = mx.load("model.layers.1.mlp.experts.gate_up_proj_scales");
            for (int e = 0; e < c.numExperts(); e++) {
                var w = c.expert(mx, 1, e);
                var enc = new Mxfp4Codec().encode(new io.strata.compression.codec.ExpertWeights(w.gate(), w.up(), w.down()), arena);
                for (int part = 0; part < 2; part++) {
                    MemorySegment got = enc.part(part == 0 ? "gate" : "up");
                    for (int j = 0; j < inter; j++) {
                        long row = (long) e * 2 * inter + 2L * j + part; // gate and up rows interleave in the checkpoint
                        for (int k = 0; k < gb; k++) {
                            long o = ((long) j * gb + k) * 17;
                            assertEquals(u8(scales.data(), row * gb + k), u8(got, o), "scale e" + e + " row " + j + " block " + k);
                            for (int i = 0; i < 32; i++) {
                                int ref = u8(blocks.data(), (row * gb + k) * 16 + i / 2) >> (4 * (i % 2)) & 15;
                                int b = u8(got, o + 1 + (i % 16)) >> (i < 16 ? 0 : 4) & 15;
                                assertEquals(ref, b, "code e" + e + " row " + j + " block " + k + " element " + i);
                            }
                        }
                    }
                }
                // and the codec's own decoder gives the expert back exactly
                var back = new Mxfp4Codec().decode(enc, arena);
                for (int r = 0; r < h; r++) for (int k = 0; k < inter; k++) assertEquals(w.down().get(r, k), back.down().get(r, k), 0f);
            }
        }
    }

    private static int u8(MemorySegment s, long i) {
        return Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, i));
    }

    @Test
    void malformedMxfp4TensorsNameFileTensorAndExpectation() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("bad"));
        Files.copy(GoldenForwardTest.fixture("gpt_oss_mxfp4").resolve("config.json"), dir.resolve("config.json"));
        // gate_up_proj_blocks of layer 0 with 3 blocks per row where hidden 64 needs 2; scales U8 as they should be
        CheckpointTest.writeSafetensors(dir.resolve("model.safetensors"),
                "{\"model.layers.0.mlp.experts.gate_up_proj_blocks\":{\"dtype\":\"U8\",\"shape\":[8,64,3,16],\"data_offsets\":[0,24576]},"
                        + "\"model.layers.0.mlp.experts.gate_up_proj_scales\":{\"dtype\":\"F32\",\"shape\":[8,64,2],\"data_offsets\":[24576,28672]}}",
                new byte[28672]);
        try (Checkpoint ck = Checkpoint.open(dir)) {
            ModelConfig c = ModelConfig.parse(ck.config(), dir);
            CheckpointException e = assertThrows(CheckpointException.class, () -> c.expert(ck, 0, 0));
            assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("gate_up_proj_blocks")
                    && e.getMessage().contains("[8, 64, 3, 16]") && e.getMessage().contains("[8, 64, 2, 16]"), e.getMessage());
        }
        CheckpointTest.writeSafetensors(dir.resolve("model.safetensors"),
                "{\"model.layers.0.mlp.experts.gate_up_proj_blocks\":{\"dtype\":\"U8\",\"shape\":[8,64,2,16],\"data_offsets\":[0,16384]},"
                        + "\"model.layers.0.mlp.experts.gate_up_proj_scales\":{\"dtype\":\"F32\",\"shape\":[8,64,2],\"data_offsets\":[16384,20480]}}",
                new byte[20480]);
        try (Checkpoint ck = Checkpoint.open(dir)) {
            ModelConfig c = ModelConfig.parse(ck.config(), dir);
            CheckpointException e = assertThrows(CheckpointException.class, () -> c.expert(ck, 0, 0));
            assertTrue(e.getMessage().contains("gate_up_proj_blocks") && e.getMessage().contains("F32") && e.getMessage().contains("U8"), e.getMessage());
        }
    }

    @Test
    void gptOssConfigErrorsNameTheField() throws Exception {
        var om = new com.fasterxml.jackson.databind.ObjectMapper();
        var cfg = (com.fasterxml.jackson.databind.node.ObjectNode) om.readTree(GoldenForwardTest.fixture("gpt_oss").resolve("config.json").toFile());
        cfg.putArray("layer_types").add("sliding_attention");
        CheckpointException e = assertThrows(CheckpointException.class, () -> ModelConfig.parse(cfg, "/m/config.json"));
        assertTrue(e.getMessage().contains("/m/config.json") && e.getMessage().contains("layer_types") && e.getMessage().contains("2 entries"), e.getMessage());
        cfg.putArray("layer_types").add("sliding_attention").add("chunked_attention");
        e = assertThrows(CheckpointException.class, () -> ModelConfig.parse(cfg, "/m/config.json"));
        assertTrue(e.getMessage().contains("layer_types[1]") && e.getMessage().contains("chunked_attention"), e.getMessage());
        cfg.putArray("layer_types").add("sliding_attention").add("full_attention");
        cfg.put("sliding_window", 0);
        e = assertThrows(CheckpointException.class, () -> ModelConfig.parse(cfg, "/m/config.json"));
        assertTrue(e.getMessage().contains("sliding_window"), e.getMessage());
        cfg.put("sliding_window", 4);
        cfg.put("num_experts_per_tok", 9);
        e = assertThrows(CheckpointException.class, () -> ModelConfig.parse(cfg, "/m/config.json"));
        assertTrue(e.getMessage().contains("num_experts_per_tok 9") && e.getMessage().contains("num_local_experts 8"), e.getMessage());
    }
}
