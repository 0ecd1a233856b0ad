// Synthetic checkpoints for every architecture load and run; bad checkpoints fail with precise messages.
package io.strata.engine.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.compression.DType;
import io.strata.engine.backend.cpu.CpuBackend;
import io.strata.engine.model.Architecture;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.MoeModel;
import io.strata.engine.store.CheckpointExpertStore;
import io.strata.engine.synth.SyntheticCheckpoint;
import io.strata.engine.synth.SyntheticCheckpoint.Spec;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

public class CheckpointTest {
    @TempDir
    Path tmp;

    static Spec tiny(Architecture a) {
        return new Spec(a, 128, 32, 2, 4, 2, 8, 4, 2, 16, a == Architecture.QWEN2_MOE ? 24 : 0, DType.BF16, 3, 40_000);
    }

    @ParameterizedTest
    // gpt-oss has no synthetic writer (stacked expert tensors); its checkpoints are covered by the golden fixtures
    @EnumSource(value = Architecture.class, names = "GPT_OSS", mode = EnumSource.Mode.EXCLUDE)
    void syntheticShardedCheckpointLoadsAndRuns(Architecture a) throws Exception {
        Path dir = SyntheticCheckpoint.write(tiny(a), tmp.resolve(a.modelType), null);
        assertTrue(Files.exists(dir.resolve("model.safetensors.index.json")), "small shard size must give several shards");
        try (Checkpoint ck = Checkpoint.open(dir)) {
            ModelConfig c = ModelConfig.parse(ck.config(), dir);
            assertEquals(a, c.arch());
            try (MoeModel m = new MoeModel(c, ck, new CheckpointExpertStore(c, ck), new CpuBackend())) {
                float[] logits = m.forward(new int[] {1, 5, 9}, 0, m.newCache(8), true);
                for (float v : logits) assertTrue(Float.isFinite(v));
            }
        }
    }

    @Test
    void sameSeedSameBytes() throws Exception {
        Path d1 = SyntheticCheckpoint.write(tiny(Architecture.MIXTRAL), tmp.resolve("a"), null);
        Path d2 = SyntheticCheckpoint.write(tiny(Architecture.MIXTRAL), tmp.resolve("b"), null);
        try (var s = Files.list(d1)) {
            for (Path f : s.toList()) {
                assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(d2.resolve(f.getFileName())), f.getFileName().toString());
            }
        }
    }

    @Test
    void truncatedShardNamesFileAndTensor() throws Exception {
        Path dir = SyntheticCheckpoint.write(tiny(Architecture.MIXTRAL).withLayers(1), tmp.resolve("t"), null);
        Path shard;
        try (var s = Files.list(dir)) {
            shard = s.filter(p -> p.toString().endsWith(".safetensors")).sorted().reduce((x, y) -> y).orElseThrow();
        }
        try (FileChannel ch = FileChannel.open(shard, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 100);
        }
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains(shard.getFileName().toString()) && e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("tensor "), e.getMessage());
    }

    @Test
    void wrongShapeNamesTensorAndBothShapes() throws Exception {
        Path dir = SyntheticCheckpoint.write(tiny(Architecture.OLMOE).withLayers(1), tmp.resolve("s"), null);
        String cfg = Files.readString(dir.resolve("config.json")).replace("\"intermediate_size\" : 16", "\"intermediate_size\" : 20");
        Files.writeString(dir.resolve("config.json"), cfg);
        try (Checkpoint ck = Checkpoint.open(dir)) {
            ModelConfig c = ModelConfig.parse(ck.config(), dir);
            CheckpointException e = assertThrows(CheckpointException.class, () -> new CheckpointExpertStore(c, ck));
            assertTrue(e.getMessage().contains("model.layers.0.mlp.experts.0.gate_proj.weight")
                    && e.getMessage().contains("[16, 32]") && e.getMessage().contains("[20, 32]"), e.getMessage());
        }
    }

    @Test
    void unknownArchitectureIsNamed() throws Exception {
        Path dir = SyntheticCheckpoint.write(tiny(Architecture.MIXTRAL).withLayers(1), tmp.resolve("u"), null);
        String cfg = Files.readString(dir.resolve("config.json")).replace("\"mixtral\"", "\"deepseek_v3\"");
        Files.writeString(dir.resolve("config.json"), cfg);
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> ModelConfig.parse(Checkpoint.readConfig(dir), dir));
        assertTrue(e.getMessage().contains("deepseek_v3") && e.getMessage().contains("config.json"), e.getMessage());
    }

    @Test
    void corruptHeaderIsReported() throws Exception {
        Path f = tmp.resolve("bad.safetensors");
        Files.write(f, new byte[] {(byte) 0xff, (byte) 0xff, 0, 0, 0, 0, 0, 0, '{'});
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(f, arena));
            assertTrue(e.getMessage().contains("bad.safetensors") && e.getMessage().contains("header"), e.getMessage());
        }
    }

    /** A safetensors file from a JSON header and data bytes (the header padded with spaces to 8 bytes, as writers do). */
    public static Path writeSafetensors(Path f, String header, byte[] data) throws Exception {
        byte[] h = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int n = (h.length + 7) / 8 * 8;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + n + data.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(n).put(h);
        for (int i = h.length; i < n; i++) b.put((byte) ' ');
        b.put(data);
        Files.write(f, b.array());
        return f;
    }

    @Test
    void overlappingDataOffsetsNameFileAndBothTensors() throws Exception {
        Path f = writeSafetensors(tmp.resolve("overlap.safetensors"),
                "{\"a.weight\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                        + "\"b.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", new byte[16]);
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(f, arena));
            assertTrue(e.getMessage().contains("overlap.safetensors") && e.getMessage().contains("a.weight")
                    && e.getMessage().contains("b.weight") && e.getMessage().contains("overlap"), e.getMessage());
        }
        // Adjacent tensors are fine, and so is an empty tensor anywhere.
        Path ok = writeSafetensors(tmp.resolve("adjacent.safetensors"),
                "{\"a.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},"
                        + "\"b.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", new byte[16]);
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            assertEquals(3, SafetensorsFile.open(ok, arena).tensors().size());
        }
    }

    @Test
    void architecturesMustMatchModelType() throws Exception {
        Path dir = SyntheticCheckpoint.write(tiny(Architecture.MIXTRAL).withLayers(1), tmp.resolve("arch"), null);
        String cfg = Files.readString(dir.resolve("config.json")).replace("\"MixtralForCausalLM\"", "\"LlamaForCausalLM\"");
        Files.writeString(dir.resolve("config.json"), cfg);
        CheckpointException e = assertThrows(CheckpointException.class, () -> ModelConfig.parse(Checkpoint.readConfig(dir), dir));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("LlamaForCausalLM")
                && e.getMessage().contains("mixtral") && e.getMessage().contains("MixtralForCausalLM"), e.getMessage());
        assertEquals("Qwen3MoeForCausalLM", ModelConfig.causalLmClass("qwen3_moe"));
        assertEquals("OlmoeForCausalLM", ModelConfig.causalLmClass("olmoe"));
        assertEquals("Qwen2MoeForCausalLM", ModelConfig.causalLmClass("qwen2_moe"));
    }

    @Test
    void topKAboveExpertCountIsRefusedAtParse() throws Exception {
        Path dir = SyntheticCheckpoint.write(tiny(Architecture.QWEN3_MOE).withLayers(1), tmp.resolve("topk"), null);
        String cfg = Files.readString(dir.resolve("config.json")).replace("\"num_experts_per_tok\" : 2", "\"num_experts_per_tok\" : 9");
        Files.writeString(dir.resolve("config.json"), cfg);
        CheckpointException e = assertThrows(CheckpointException.class, () -> ModelConfig.parse(Checkpoint.readConfig(dir), dir));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("num_experts_per_tok 9")
                && e.getMessage().contains("num_experts 4"), e.getMessage());
    }

    @Test
    void storeFolderWithoutManifestSaysSoInsteadOfAskingForConfigJson() throws Exception {
        // A packed store whose manifest.json was deleted: blob files, no manifest, no config.json.
        Path dir = Files.createDirectories(tmp.resolve("store"));
        Files.write(dir.resolve("experts-000.bin"), new byte[4096]);
        Files.write(dir.resolve("dense.bin"), new byte[4096]);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("looks like a packed store (dense.bin, experts-000.bin present) without its manifest.json"),
                e.getMessage());
        assertTrue(!e.getMessage().contains("config.json"), e.getMessage());
        // An unfinished pack's staging folder names its journal.
        Files.writeString(dir.resolve("progress.jsonl"), "{}\n");
        e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("an unfinished pack (progress.jsonl present"), e.getMessage());
        // A folder with neither still asks for config.json.
        Path none = Files.createDirectories(tmp.resolve("none"));
        e = assertThrows(CheckpointException.class, () -> Checkpoint.open(none));
        assertTrue(e.getMessage().contains("config.json: not found"), e.getMessage());
    }
}
