// strata pack of the DeepSeek-V2/V3 and GLM-4.5 shaped checkpoints with every codec, served from the store through
// budgeted tiers with a routing trace: logits near the checkpoint's, and one trace line per MoE layer and step.
package io.strata.engine.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.engine.api.EngineOptions;
import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.engine.cli.StrataCli;
import io.strata.engine.generate.SamplingConfig;
import io.strata.tiering.store.PackedStore;
import io.strata.tiering.trace.RoutingTrace;
import io.strata.tiering.trace.TraceReader;
import io.strata.tiering.trace.TraceRecorder;
import io.strata.tiering.Tier;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MlaStoreTest {
    @TempDir
    Path tmp;

    /** The checkpoint's own logits per architecture, computed once for all codecs. */
    private static final java.util.Map<String, float[]> WANT = new java.util.concurrent.ConcurrentHashMap<>();

    static Path golden(String arch) throws Exception {
        return Path.of(MlaStoreTest.class.getResource("/golden/" + arch + "/config.json").toURI()).getParent();
    }

    /**
     * A byte-level tokenizer.json whose 256 tokens are the bytes (ids 0..255 fit the fixtures' vocabulary), so FloE can
     * calibrate on text: the GPT-2 byte-to-character map, no merges.
     */
    static Path byteTokenizer(Path dir) throws Exception {
        ObjectMapper om = new ObjectMapper();
        ObjectNode t = om.createObjectNode();
        ObjectNode pre = t.putObject("pre_tokenizer");
        pre.put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true);
        t.putObject("decoder").put("type", "ByteLevel");
        ObjectNode model = t.putObject("model");
        model.put("type", "BPE");
        ObjectNode vocab = model.putObject("vocab");
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            int cp = printable ? b : 256 + extra++;
            vocab.put(new String(Character.toChars(cp)), b);
        }
        model.putArray("merges");
        t.putArray("added_tokens");
        Files.createDirectories(dir);
        om.writeValue(dir.resolve("tokenizer.json").toFile(), t);
        return dir;
    }

    @ParameterizedTest
    @CsvSource({
        // arch, codec, largest relative logits error against the checkpoint (about twice the largest measured over the three;
        // bf16 keeps the checkpoint's dtype, so it is exact like none).
        // Groups of 32: the fixtures' moe_intermediate_size is 32 (the default group of 64 fits real releases: 1408, 2048).
        // Every codec on deepseek_v3, one more on each of the others (the suite's time: ~1.3 s a case on 2 idle cores).
        "deepseek_v2, floe, 0.9",
        "deepseek_v3, none, 1e-5", "deepseek_v3, bf16, 1e-5", "deepseek_v3, int8-g32, 1.5e-2", "deepseek_v3, int4-g32, 0.25", "deepseek_v3, int3-g32, 0.5", "deepseek_v3, int2-g32, 1.2", "deepseek_v3, floe, 0.9",
        "glm4_moe, int2-g32, 1.2"})
    void packedStoreServesThroughTheTiersWithATrace(String arch, String codec, double maxRel) throws Exception {
        Path ck = golden(arch), store = tmp.resolve("store");
        var args = new java.util.ArrayList<>(java.util.List.of("pack", "--model", ck.toString(), "--out", store.toString(), "--no-progress",
                "--tokenizer", byteTokenizer(tmp.resolve("tok")).toString()));
        if (!codec.equals("none")) args.addAll(java.util.List.of("--codec", codec));
        if (codec.equals("floe")) {
            Path cal = tmp.resolve("cal.txt");
            Files.writeString(cal, "And God said, Let there be light: and there was light.\n\nLa vida es sueño.\n\n"
                    + "A person who enjoys exploring the details of programmable systems.\n");
            args.addAll(java.util.List.of("--calibration", cal.toString(), "--sparsity", "0.5"));
        }
        assertEquals(0, StrataCli.commandLine().execute(args.toArray(String[]::new)), "pack " + arch + " " + codec);
        int[] ids = {1, 17, 200, 45, 3, 99, 128, 7, 255, 64, 31};
        float[] want = WANT.computeIfAbsent(arch, a -> {
            try (StrataModel m = ModelLoader.load(ck, EngineOptions.builder().backend("cpu").context(64).build())) {
                return m.model().forward(ids, 0, m.model().newCache(64), true);
            }
        });
        long expertBytes;
        try (PackedStore ps = PackedStore.open(store)) {
            expertBytes = ps.maxExpertBytes();
        }
        // Room for one layer's top-k in the fast tier and two more in host RAM: far fewer than 2 MoE layers route, so tiers miss.
        var cfg = io.strata.engine.model.ModelConfig.parse(new ObjectMapper().readTree(ck.resolve("config.json").toFile()), ck);
        EngineOptions tiered = EngineOptions.builder().backend("cpu").context(64).policy("lfu")
                .fastBudget(cfg.topK() * expertBytes).hostBudget((cfg.topK() + 2) * expertBytes).build();
        Path trace = tmp.resolve("trace.jsonl");
        try (StrataModel m = ModelLoader.load(store, tiered)) {
            float[] got = m.model().forward(ids, 0, m.model().newCache(64), true);
            double num = 0, den = 0;
            for (int i = 0; i < want.length; i++) {
                num += (got[i] - want[i]) * (double) (got[i] - want[i]);
                den += want[i] * (double) want[i];
            }
            double rel = Math.sqrt(num / den);
            System.out.printf("%s %s: relative logits error %.3e%n", arch, codec, rel);
            assertTrue(rel <= maxRel, arch + " " + codec + ": relative logits error " + rel + " > " + maxRel);
            TraceRecorder rec = ModelLoader.attachTrace(m, trace);
            m.generateFixed(new int[] {1, 17, 200}, 6, SamplingConfig.GREEDY);
            rec.close();
            var st = m.model().store().stats();
            // FloE serves from its own resident store (INT2 up resident, rows on demand), not the budgeted tiers.
            if (!codec.equals("floe")) {
                assertTrue(st.served(Tier.SSD) > 0, arch + " " + codec + ": the budgets made the store read from disk");
            }
        }
        var c = cfg;
        RoutingTrace t = TraceReader.read(trace, 0);
        assertEquals(c.numExperts(), t.numExperts(), arch + ": trace experts");
        assertEquals(c.topK(), t.topK(), arch + ": trace top-k");
        // The 3 prompt tokens and the generated ones run after them (the last generated token is not run).
        assertTrue(t.numTokens() >= 3 + 5, arch + " " + codec + ": " + t.numTokens() + " tokens traced");
        assertEquals((long) t.numTokens() * c.numMoeLayers() * c.topK(), t.numRequests(), arch + ": one route per MoE layer and token");
    }

    /**
     * A GGUF file of llama.cpp's deepseek2 (split attn_k_b / attn_v_b, sigmoid gating, a multi-token-prediction
     * block) packs into a store that serves the logits of its safetensors twin packed alike.
     */
    @ParameterizedTest
    @CsvSource({"deepseek2-v3-f16"}) // glm4moe-q8_0's logits: GgufCheckpointTest
    void ggufPacksAndServesAsItsTwin(String name) throws Exception {
        Path dir = Path.of(MlaStoreTest.class.getResource("/gguf/" + name).toURI()), gguf = dir.resolve("model.gguf");
        Path store = tmp.resolve("gguf-store"), twinStore = tmp.resolve("twin-store");
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", gguf.toString(), "--out", store.toString(), "--codec", "int8-g32",
                "--no-progress"), "pack " + gguf);
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", dir.resolve("twin").toString(), "--out", twinStore.toString(),
                "--codec", "int8-g32", "--no-progress"), "pack twin of " + name);
        int[] ids = {1, 17, 200, 45, 3, 99, 128, 7, 255, 64, 31};
        EngineOptions o = EngineOptions.builder().backend("cpu").context(64).build();
        float[] want;
        try (StrataModel m = ModelLoader.load(twinStore, o)) {
            want = m.model().forward(ids, 0, m.model().newCache(64), true);
        }
        try (StrataModel m = ModelLoader.load(store, o)) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(want, m.model().forward(ids, 0, m.model().newCache(64), true), 1e-5f, name);
        }
    }
}
