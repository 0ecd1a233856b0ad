// strata pack on the formats the checkpoint readers add (GGUF, FP8): it says what it converted, and the packed store
// gives the logits of its twin packed from plain weights (fixtures from the engine's test resources).
package io.strata.engine.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.engine.api.EngineOptions;
import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.engine.cli.StrataCli;
import io.strata.compression.ggml.GgmlType;
import io.strata.engine.checkpoint.gguf.GgufModel;
import io.strata.engine.store.CodecStoreFiles;
import io.strata.tiering.store.PackedStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackFormatsTest {
    @TempDir
    Path tmp;

    static Path resource(String path) throws Exception {
        return Path.of(PackFormatsTest.class.getResource(path).toURI());
    }

    static Path gguf(String name) throws Exception {
        try (var s = Files.list(resource("/gguf/" + name))) {
            return s.filter(p -> p.toString().endsWith(".gguf")).sorted().findFirst().orElseThrow();
        }
    }

    static Path twin(String name, String goldenArch) throws Exception {
        Path t = resource("/gguf/" + name).resolve("twin");
        return Files.isDirectory(t) ? t : resource("/golden/" + goldenArch + "/config.json").getParent();
    }

    static int[] inputIds(String goldenArch) throws Exception {
        JsonNode g = new ObjectMapper().readTree(resource("/golden/" + goldenArch + "/golden.json").toFile());
        int[] ids = new int[g.get("input_ids").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = g.get("input_ids").get(i).asInt();
        return ids;
    }

    static Path fixture() throws Exception {
        return resource("/fp8/qwen3_moe-fp8/config.json").getParent();
    }

    @Test
    void packOfAGgufFileServesItsLogitsAndSaysWhatWasConverted() throws Exception {
        Path store = tmp.resolve("store");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true));
        int rc;
        try {
            rc = StrataCli.commandLine().execute("pack", "--model", gguf("qwen3_moe-q8_0").toString(), "--out", store.toString(),
                    "--codec", "int8-g32", "--no-progress");
        } finally {
            System.setOut(old);
        }
        String out = buf.toString();
        assertEquals(0, rc, out);
        assertTrue(out.contains("[Q8_0]") && out.contains("codec int8-g32"), out);
        assertTrue(out.contains("no tokenizer"), out);
        Path twinStore = tmp.resolve("twin-store");
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", twin("qwen3_moe-q8_0", "qwen3_moe").toString(),
                "--out", twinStore.toString(), "--codec", "int8-g32", "--no-progress"));
        EngineOptions o = EngineOptions.builder().backend("cpu").context(64).build();
        int[] ids = inputIds("qwen3_moe");
        float[] want;
        try (StrataModel m = ModelLoader.load(twinStore, o)) {
            want = m.model().forward(ids, 0, m.model().newCache(64), true);
        }
        try (StrataModel m = ModelLoader.load(store, o)) {
            assertArrayEquals(want, m.model().forward(ids, 0, m.model().newCache(64), true), 1e-5f);
        }
    }

    @Test
    void packConvertsFp8ExpertsByTheCodecAndSaysSo() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true));
        int rc;
        try {
            rc = StrataCli.commandLine().execute("pack", "--model", fixture().toString(), "--out", tmp.resolve("s").toString(),
                    "--codec", "int8-g32", "--no-progress");
        } finally {
            System.setOut(old);
        }
        assertEquals(0, rc, buf.toString());
        assertTrue(buf.toString().contains("F8_E4M3") && buf.toString().contains("codec int8-g32"), buf.toString());
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", fixture().resolve("twin").toString(), "--out",
                tmp.resolve("t").toString(), "--codec", "int8-g32", "--no-progress"));
        EngineOptions o = EngineOptions.builder().backend("cpu").context(64).build();
        int[] ids = inputIds("qwen3_moe");
        float[] want;
        try (StrataModel m = ModelLoader.load(tmp.resolve("t"), o)) {
            want = m.model().forward(ids, 0, m.model().newCache(64), true);
        }
        try (StrataModel m = ModelLoader.load(tmp.resolve("s"), o)) {
            assertArrayEquals(want, m.model().forward(ids, 0, m.model().newCache(64), true), 1e-5f);
        }
    }

    /** Runs {@code strata ARGS}, returning what it printed; fails on a non-zero exit. */
    static String strata(String... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true));
        int rc;
        try {
            rc = StrataCli.commandLine().execute(args);
        } finally {
            System.setOut(old);
        }
        assertEquals(0, rc, buf.toString());
        return buf.toString();
    }

    static float[] logits(Path store, EngineOptions o, int[] ids) {
        try (StrataModel m = ModelLoader.load(store, o)) {
            return m.model().forward(ids, 0, m.model().newCache(64), true);
        }
    }

    static EngineOptions cpu() {
        return EngineOptions.builder().backend("cpu").context(64).build();
    }

    /** Expert (layer, expert)'s blob bytes in a packed codec store. */
    static byte[] blob(Path store, int layer, int expert) {
        PackedStore ps = PackedStore.open(store);
        var cf = CodecStoreFiles.read(ps);
        var m = CodecStoreFiles.blob(ps, cf.experts(), layer, expert);
        try (var arena = java.lang.foreign.Arena.ofConfined(); var ch = java.nio.channels.FileChannel.open(ps.file(ps.expert(layer, expert)))) {
            var seg = ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, ps.expert(layer, expert).offset() + m.offset(), m.length(), arena);
            return seg.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void kQuantGgufExpertsKeepTheirBytesAndGiveTheLogitsOfTransformers() throws Exception {
        Path file = resource("/gguf/qwen3_moe-q4_k_m/model.gguf");
        JsonNode golden = new ObjectMapper().readTree(resource("/gguf/qwen3_moe-q4_k_m/golden.json").toFile());
        int[] ids = new int[golden.get("input_ids").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = golden.get("input_ids").get(i).asInt();
        float[] want = new float[ids.length * 256];
        for (int t = 0; t < ids.length; t++) for (int v = 0; v < 256; v++) want[t * 256 + v] = (float) golden.get("logits").get(t).get(v).asDouble();

        Path kept = tmp.resolve("kept");
        String out = strata("pack", "--model", file.toString(), "--out", kept.toString(), "--no-progress");
        assertTrue(out.contains("experts kept as stored: codec gguf"), out);
        // Q4_K_M-style: the layers' types differ, so the store is "gguf" and each layer names its own types.
        var cf = CodecStoreFiles.read(PackedStore.open(kept));
        assertEquals("gguf", cf.codec());
        assertEquals("gguf-q4_k-q4_k-q6_k", cf.experts()[0][3].codec());
        assertEquals("gguf-q5_k-q5_k-q8_0", cf.experts()[1][0].codec());
        // The blob holds the file's bytes: expert 2's gate in layer 0 is the third slice of blk.0.ffn_gate_exps.
        try (GgufModel g = GgufModel.open(file)) {
            var t = g.tensors().get("blk.0.ffn_gate_exps.weight");
            long per = t.data().byteSize() / 4;
            byte[] b = blob(kept, 0, 2);
            assertEquals(GgmlType.Q4_K, t.type());
            assertArrayEquals(t.data().asSlice(2 * per, per).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), java.util.Arrays.copyOf(b, (int) per));
        }
        float[] got = logits(kept, cpu(), ids);
        assertArrayEquals(want, got, 2e-4f, "transformers on the gguf package's dequantized values");
        // The same as dequantizing every expert to F32 first (codec bf16 keeps the F32 it is given), and under budgets
        // small enough that experts move through the tiers.
        Path dequantized = tmp.resolve("f32");
        strata("pack", "--model", file.toString(), "--out", dequantized.toString(), "--codec", "bf16", "--no-progress");
        assertArrayEquals(logits(dequantized, cpu(), ids), got, 2e-5f);
        long expert = PackedStore.open(kept).maxExpertBytes();
        EngineOptions tight = cpu().toBuilder().hostBudget(3 * expert).fastBudget(2 * expert).build();
        // (the MoE block combines hits and misses in another order: float reassociation only)
        assertArrayEquals(got, logits(kept, tight, ids), 1e-6f, "tiering does not change the numbers");
    }

    @Test
    void q8_0GgufExpertsAreKeptAndOurQ8_0QuantizerWritesTheGgufPackagesBytes() throws Exception {
        Path kept = tmp.resolve("kept");
        String out = strata("pack", "--model", gguf("qwen3_moe-q8_0").toString(), "--out", kept.toString(), "--no-progress");
        assertTrue(out.contains("experts kept as stored: codec gguf-q8_0") && out.contains("[Q8_0]"), out);
        int[] ids = inputIds("qwen3_moe");
        Path twin = tmp.resolve("twin");
        strata("pack", "--model", twin("qwen3_moe-q8_0", "qwen3_moe").toString(), "--out", twin.toString(), "--no-progress");
        assertArrayEquals(logits(twin, cpu(), ids), logits(kept, cpu(), ids), 1e-5f);
        // The fixture's Q8_0 bytes were made by gguf.quants.quantize from the golden float32 model: packing that
        // model with --codec gguf-q8_0 must write the same bytes.
        Path quantized = tmp.resolve("quantized");
        strata("pack", "--model", resource("/golden/qwen3_moe/config.json").getParent().toString(), "--out", quantized.toString(),
                "--codec", "gguf-q8_0", "--no-progress");
        for (int[] le : new int[][] {{0, 0}, {1, 5}, {1, 7}}) assertArrayEquals(blob(kept, le[0], le[1]), blob(quantized, le[0], le[1]));
    }

    @Test
    void fp8ExpertsAreKeptWithTheirBlockScales() throws Exception {
        Path kept = tmp.resolve("kept");
        String out = strata("pack", "--model", fixture().toString(), "--out", kept.toString(), "--no-progress");
        assertTrue(out.contains("experts kept as stored: codec fp8-b32x32"), out);
        assertEquals("fp8-b32x32", CodecStoreFiles.read(PackedStore.open(kept)).experts()[0][0].codec());
        Path twin = tmp.resolve("twin");
        strata("pack", "--model", fixture().resolve("twin").toString(), "--out", twin.toString(), "--no-progress");
        int[] ids = inputIds("qwen3_moe");
        float[] got = logits(kept, cpu(), ids);
        assertArrayEquals(logits(twin, cpu(), ids), got, 1e-5f, "torch's dequantized values");
        // --codec fp8-b32x32 on the dequantized twin quantizes as the fixture generator did (amax / 448 per block).
        Path requantized = tmp.resolve("requantized");
        strata("pack", "--model", fixture().resolve("twin").toString(), "--out", requantized.toString(), "--codec", "fp8-b32x32", "--no-progress");
        assertArrayEquals(got, logits(requantized, cpu(), ids), 1e-4f);
    }

    @Test
    void anAskedCodecConvertsAndSaysSoAndAKQuantCannotBeMadeFromFloats() throws Exception {
        String out = strata("pack", "--model", resource("/gguf/qwen3_moe-q4_k_m/model.gguf").toString(), "--out", tmp.resolve("a").toString(),
                "--codec", "int8", "--no-progress");
        assertTrue(out.contains("experts stored as gguf are converted to codec int8 as asked"), out);
        assertEquals("int8", CodecStoreFiles.read(PackedStore.open(tmp.resolve("a"))).codec());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        var cl = StrataCli.commandLine();
        cl.setErr(new java.io.PrintWriter(err, true));
        int rc = cl.execute("pack", "--model", resource("/gguf/qwen3_moe-q4_k_m/model.gguf").toString(), "--out", tmp.resolve("b").toString(),
                "--codec", "gguf-q4_k", "--no-progress");
        assertNotEquals(0, rc);
        assertTrue(err.toString().contains("no Q4_K quantizer"), err.toString());
    }

    @Test
    void aStoreWhoseCodecFileNamesALayoutWithoutAKernelIsRefusedNamingLayerExpertAndCodec() throws Exception {
        Path kept = tmp.resolve("kept");
        strata("pack", "--model", gguf("qwen3_moe-q8_0").toString(), "--out", kept.toString(), "--no-progress");
        ObjectMapper om = new ObjectMapper();
        var root = (com.fasterxml.jackson.databind.node.ObjectNode) om.readTree(kept.resolve("codec.json").toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("experts").get(1).get(3)).put("codec", "gguf-q3_k");
        om.writeValue(kept.resolve("codec.json").toFile(), root);
        var e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.load(kept, cpu()).close());
        assertTrue(e.getMessage().contains("layer 1 expert 3 packed with codec 'gguf-q3_k' cannot be served"), e.getMessage());
    }
}
