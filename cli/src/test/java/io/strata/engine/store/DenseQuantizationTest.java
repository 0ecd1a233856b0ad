// strata pack --dense: attention projections, output head and embedding stored group-quantized, served from their codes.
package io.strata.engine.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.compression.DType;
import io.strata.compression.Matrix;
import io.strata.compression.quant.QuantFormat;
import io.strata.compression.quant.QuantizedMatrix;
import io.strata.engine.api.EngineOptions;
import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.engine.backend.cpu.CpuBackend;
import io.strata.engine.checkpoint.ModelSource;
import io.strata.engine.checkpoint.WeightSource;
import io.strata.engine.cli.StrataCli;
import io.strata.engine.model.Architecture;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.ModelWeights;
import io.strata.engine.model.MoeModel;
import io.strata.engine.model.TensorNames;
import io.strata.engine.synth.SyntheticCheckpoint;
import io.strata.engine.synth.SyntheticCheckpoint.Spec;
import io.strata.kernels.cuda.CudaAvailability;
import io.strata.tiering.store.PackedStore;
import io.strata.tiering.store.StoreException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DenseQuantizationTest {
    @TempDir
    Path tmp;

    /** Qwen2-MoE: QKV biases, a shared expert and its gate, untied head; hidden 128 so groups of 32 and 64 fit. */
    static final Spec SPEC = new Spec(Architecture.QWEN2_MOE, 192, 128, 2, 4, 2, 32, 8, 2, 32, 48, DType.BF16, 7, 1 << 30);
    static final int[] IDS = {1, 7, 99, 3, 42, 5, 150};

    static float[] logits(MoeModel m) {
        return m.forward(IDS, 0, m.newCache(16), true);
    }

    static float maxAbs(float[] v) {
        float m = 0;
        for (float x : v) m = Math.max(m, Math.abs(x));
        return m;
    }

    /**
     * The checkpoint with every weight that a --dense pack quantizes replaced by its dequantized values (encoded here
     * again, independently of the store, then expanded to F32): the float twin of the store's dense weights.
     */
    static final class DequantizedTwin implements WeightSource {
        final ModelSource ck;
        final ModelConfig c;
        final QuantFormat f, head;
        final Arena arena;
        final Map<String, QuantizedMatrix> encoded = new HashMap<>();

        DequantizedTwin(ModelSource ck, ModelConfig c, QuantFormat f, Arena arena) {
            this.ck = ck;
            this.c = c;
            this.f = f;
            this.head = DenseQuantization.defaultHead(f);
            this.arena = arena;
        }

        @Override
        public boolean has(String name) {
            return ck.has(name);
        }

        QuantFormat format(String name, int rows, int cols) {
            return DenseQuantization.formatFor(c, name, new long[] {rows, cols}, f, head, ModelWeights.embeddingIsHead(c, ck));
        }

        QuantizedMatrix encoded(String name, int rows, int cols) {
            return encoded.computeIfAbsent(name, n -> QuantizedMatrix.encode(ck.matrix(n, rows, cols), format(n, rows, cols), arena));
        }

        @Override
        public Matrix matrix(String name, int rows, int cols) {
            if (format(name, rows, cols) == null) return ck.matrix(name, rows, cols);
            return encoded(name, rows, cols).dequantize(arena);
        }

        @Override
        public Matrix vector(String name, int len) {
            return ck.vector(name, len);
        }
    }

    @Test
    void denseInt8AndInt4StoresComputeWhatTheirDequantizedWeightsGive() throws Exception {
        Path ck = SyntheticCheckpoint.write(SPEC, tmp.resolve("ck"), null);
        float[] exact;
        try (ModelSource src = ModelSource.open(ck)) {
            ModelConfig c = ModelConfig.parse(src.config(), ck);
            exact = logits(new MoeModel(c, src, new CheckpointExpertStore(c, src), new CpuBackend()));
        }
        for (String dense : new String[] {"int8", "int4-g32"}) {
            QuantFormat f = DenseQuantization.parse(dense);
            Path store = tmp.resolve("store-" + dense);
            assertEquals(0, StrataCli.commandLine().execute("pack", "--model", ck.toString(), "--out", store.toString(),
                    "--dense", dense, "--no-progress"));
            float[] got;
            try (StrataModel m = ModelLoader.load(store, EngineOptions.builder().backend("cpu").context(16).build())) {
                got = logits(m.model());
            }
            float[] want;
            try (ModelSource src = ModelSource.open(ck); Arena arena = Arena.ofShared()) {
                ModelConfig c = ModelConfig.parse(src.config(), ck);
                DequantizedTwin twin = new DequantizedTwin(src, c, f, arena);
                want = logits(new MoeModel(c, twin, new CheckpointExpertStore(c, src), new CpuBackend()));
                // The store holds exactly the codes an independent encoding of the checkpoint gives.
                try (PackedStore ps = PackedStore.open(store)) {
                    for (String name : new String[] {TensorNames.attn(1, "k_proj.weight"), TensorNames.LM_HEAD, TensorNames.EMBED}) {
                        PackedStore.DenseTensor t = ps.dense(name);
                        // under int4 the output head is int8 (llama.cpp's Q4_0 keeps its output tensor at 6 bits)
                        assertEquals(name.equals(TensorNames.LM_HEAD) && f.bits() == 4 ? new QuantFormat(8, 32) : f, t.quant(), name);
                        QuantizedMatrix q = twin.encoded(name, (int) t.shape()[0], (int) t.shape()[1]);
                        assertEquals(-1, t.data().mismatch(q.data()), name + ": stored bytes differ from the encoding");
                    }
                    // What stays float: routers, the shared expert's gate, norms, biases.
                    for (String name : new String[] {TensorNames.router(Architecture.QWEN2_MOE, 0),
                            TensorNames.moe(Architecture.QWEN2_MOE, 0) + ".shared_expert_gate.weight",
                            TensorNames.layer(0, "input_layernorm.weight"), TensorNames.attn(0, "q_proj.bias")}) {
                        assertNull(ps.dense(name).quant(), name);
                        assertEquals(DType.BF16, ps.dense(name).dtype(), name);
                    }
                }
            }
            // The kernels sum (q − z)·s·x as s·Σq·x − s·z·Σx, the twin as a dot of expanded weights: rounding only.
            float scale = maxAbs(want);
            assertArrayEquals(want, got, 1e-4f * scale, dense + ": logits of the store against its dequantized twin");
            // ... and quantization did change them (the comparison is not of the float model with itself).
            float diff = 0;
            for (int i = 0; i < exact.length; i++) diff = Math.max(diff, Math.abs(exact[i] - got[i]));
            assertTrue(diff > 1e-3f * scale, dense + ": logits moved by " + diff);
        }
    }

    @Test
    void cudaExpandsQuantizedDenseWeightsToBf16() throws Exception {
        Assumptions.assumeTrue(CudaAvailability.available(), CudaAvailability.reason());
        Path ck = SyntheticCheckpoint.write(SPEC, tmp.resolve("ck"), null);
        Path store = tmp.resolve("store");
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", ck.toString(), "--out", store.toString(),
                "--dense", "int8", "--no-progress"));
        float[] cpu, cuda;
        try (StrataModel m = ModelLoader.load(store, EngineOptions.builder().backend("cpu").context(16).build())) {
            cpu = logits(m.model());
        }
        try (StrataModel m = ModelLoader.load(store, EngineOptions.builder().backend("cuda").context(16).build())) {
            cuda = logits(m.model());
        }
        // BF16 keeps 8 significant bits of each expanded weight: agreement to a few parts in a thousand of the range.
        assertArrayEquals(cpu, cuda, 1e-2f * maxAbs(cpu));
    }

    @Test
    void optionAndManifestErrorsSayWhatIsExpected() throws Exception {
        var e = assertThrows(IllegalArgumentException.class, () -> DenseQuantization.parse("int3"));
        assertTrue(e.getMessage().contains("8 or 4 bits"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DenseQuantization.parse("q4"));
        assertTrue(e.getMessage().contains("--dense must be keep, int8, int4"), e.getMessage());
        assertNull(DenseQuantization.parse("keep"));
        assertEquals(new QuantFormat(4, 128), DenseQuantization.parse("int4-g128"));

        Path ck = SyntheticCheckpoint.write(SPEC.withLayers(1), tmp.resolve("ck1"), null);
        Path store = tmp.resolve("s1");
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", ck.toString(), "--out", store.toString(),
                "--dense", "int8", "--no-progress"));
        // A manifest whose quantized entry's length does not match its shape names the tensor, format and byte counts.
        Path mf = store.resolve("manifest.json");
        String json = Files.readString(mf);
        String name = TensorNames.attn(0, "v_proj.weight");
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        for (var d : tree.withArray("dense")) {
            if (d.get("name").asText().equals(name)) {
                assertEquals("int8-g64", d.get("dtype").asText());
                ((com.fasterxml.jackson.databind.node.ObjectNode) d).putArray("shape").add(64).add(64);
            }
        }
        Files.writeString(mf, tree.toPrettyString());
        var se = assertThrows(StoreException.class, () -> PackedStore.open(store).close());
        assertTrue(se.getMessage().contains(name) && se.getMessage().contains("int8-g64") && se.getMessage().contains("bytes"),
                se.getMessage());
        assertNotEquals(-1, se.getMessage().indexOf("[64, 64]"), se.getMessage());
    }

    /**
     * A checkpoint with neither {@code lm_head.weight} nor {@code tie_word_embeddings}: the model reads its embedding as
     * the output head, so a --dense int4 pack stores the embedding in the head's format (int8), not the attention's.
     */
    @Test
    void anEmbeddingThatServesAsTheHeadTakesTheHeadsFormat() throws Exception {
        Path ck = SyntheticCheckpoint.write(SPEC.withLayers(1), tmp.resolve("ck-nohead"), null);
        // drop lm_head.weight from the safetensors header (its bytes stay, unreferenced)
        Path st = ck.resolve("model.safetensors");
        byte[] all = Files.readAllBytes(st);
        long headerLen = java.nio.ByteBuffer.wrap(all, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        var om = new com.fasterxml.jackson.databind.ObjectMapper();
        var header = (com.fasterxml.jackson.databind.node.ObjectNode) om.readTree(new String(all, 8, (int) headerLen, java.nio.charset.StandardCharsets.UTF_8));
        assertTrue(header.remove(TensorNames.LM_HEAD) != null, "the synthetic checkpoint has an lm_head to drop");
        byte[] h = om.writeValueAsBytes(header);
        int padded = (h.length + 7) / 8 * 8;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + padded + all.length - 8 - (int) headerLen).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) b.put((byte) ' ');
        b.put(all, 8 + (int) headerLen, all.length - 8 - (int) headerLen);
        Files.write(st, b.array());
        Path store = tmp.resolve("store-nohead");
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", ck.toString(), "--out", store.toString(), "--dense", "int4",
                "--no-progress"));
        try (PackedStore ps = PackedStore.open(store)) {
            assertEquals(new QuantFormat(8, 64), ps.dense(TensorNames.EMBED).quant(), "the embedding is the head here");
            assertEquals(new QuantFormat(4, 64), ps.dense(TensorNames.attn(0, "q_proj.weight")).quant());
        }
        // and it runs: the store's logits are those of the checkpoint with the same weights dequantized
        float[] got, want;
        try (StrataModel m = ModelLoader.load(store, EngineOptions.builder().backend("cpu").context(16).build())) {
            got = logits(m.model());
        }
        try (ModelSource src = ModelSource.open(ck); Arena arena = Arena.ofShared()) {
            ModelConfig c = ModelConfig.parse(src.config(), ck);
            assertTrue(!c.tieEmbeddings() && !src.has(TensorNames.LM_HEAD));
            want = logits(new MoeModel(c, new DequantizedTwin(src, c, DenseQuantization.parse("int4"), arena), new CheckpointExpertStore(c, src),
                    new CpuBackend()));
        }
        assertArrayEquals(want, got, 1e-4f * maxAbs(want));
    }

    @Test
    void aResumedPackRefusesAnotherDenseFormatAndKeepsWhatItWrote() throws Exception {
        Path ck = SyntheticCheckpoint.write(SPEC.withLayers(1), tmp.resolve("ckr"), null);
        Path out = tmp.resolve("resumed");
        String name = TensorNames.attn(0, "q_proj.weight");
        // An interrupted `pack --dense int8`: one quantized dense tensor and one expert written, no commit.
        try (var cfgIn = Files.newInputStream(ck.resolve("config.json"));
             var w = io.strata.tiering.store.StoreWriter.create(out, io.strata.tiering.store.StoreManifest.JSON.readTree(cfgIn), "bf16", 1, 8);
             ModelSource src = ModelSource.open(ck); Arena arena = Arena.ofConfined()) {
            ModelConfig c = ModelConfig.parse(src.config(), ck);
            w.writeDense(QuantizedMatrix.encode(src.matrix(name, 128, 128), QuantFormat.INT8_G64, arena));
            w.writeExpert(0, 0, c.expert(src, 0, 0));
        }
        Path partial = out.resolveSibling(out.getFileName() + ".partial");
        assertTrue(Files.isDirectory(partial));
        // Resumed with another --dense: refused, naming the tensor and both formats; the partial store stays.
        var cli = StrataCli.commandLine();
        java.io.StringWriter err = new java.io.StringWriter();
        cli.setErr(new java.io.PrintWriter(err, true));
        assertNotEquals(0, cli.execute("pack", "--model", ck.toString(), "--out", out.toString(), "--dense", "int4", "--no-progress"));
        assertTrue(err.toString().contains(name) && err.toString().contains("int8-g64") && err.toString().contains("int4-g64"), err.toString());
        assertTrue(Files.isDirectory(partial), "the partial store is kept");
        // Resumed with the first run's --dense: completes, and the tensor keeps its int8 codes.
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", ck.toString(), "--out", out.toString(), "--dense", "int8",
                "--no-progress"));
        try (PackedStore ps = PackedStore.open(out)) {
            assertEquals(QuantFormat.INT8_G64, ps.dense(name).quant());
            assertEquals(QuantFormat.INT8_G64, ps.dense(TensorNames.LM_HEAD).quant());
        }
    }

    /** models/tiny-moe (shipped in the repository): a trained model, so perplexity means something. */
    static Path tinyMoe() {
        Path model = Path.of(System.getProperty("strata.root", ".")).resolve("models/tiny-moe");
        if (!Files.isRegularFile(model.resolve("model.safetensors"))) model = Path.of("..").resolve("models/tiny-moe");
        Assumptions.assumeTrue(Files.isRegularFile(model.resolve("model.safetensors")), "models/tiny-moe not found");
        return model;
    }

    @Test
    void perplexityOfStoresBesideTheirCheckpoint() throws Exception {
        Path tiny = tinyMoe(), keep = tmp.resolve("keep"), int8 = tmp.resolve("int8"), json = tmp.resolve("ppl.json");
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", tiny.toString(), "--out", keep.toString(), "--no-progress"));
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", tiny.toString(), "--out", int8.toString(), "--dense", "int8",
                "--no-progress"));
        assertEquals(0, StrataCli.commandLine().execute("compress", "perplexity", "--model", tiny + "," + keep + "," + int8,
                "--json", json.toString()));
        var rows = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile()).get("rows");
        assertEquals(3, rows.size());
        double ck = rows.get(0).get("perplexity").asDouble();
        assertTrue(ck > 1 && ck < 1000, "tiny-moe perplexity " + ck);
        // A store with the checkpoint's own floats computes the same logits: the same perplexity, to rounding.
        assertEquals(ck, rows.get(1).get("perplexity").asDouble(), 1e-6 * ck);
        // int8 dense weights move it, but by little (0.5 % on the built-in passages).
        double q = rows.get(2).get("perplexity").asDouble();
        assertNotEquals(ck, q);
        assertEquals(1.0, q / ck, 0.03);
        assertTrue(rows.get(2).get("held_out_tokens").asInt() > 100);
    }
}
