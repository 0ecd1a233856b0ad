// Packed stores on the CUDA backend (a GPU, or the host CUDA emulator in CI): the store owns VRAM under the budget,
// and FloE experts run on the device with the CPU path's partial loads and no activation round trips.
package io.strata.engine.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.engine.backend.cuda.CudaBackend;
import io.strata.engine.api.EngineOptions;
import io.strata.engine.cli.StrataCli;
import io.strata.engine.floe.FloeExpertStore;
import io.strata.engine.generate.SamplingConfig;
import io.strata.kernels.cuda.CudaAvailability;
import io.strata.tiering.Tier;
import io.strata.tiering.TieredExpertStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CudaStoreTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void requireCuda() {
        Assumptions.assumeTrue(CudaAvailability.available(), CudaAvailability.reason());
    }

    static EngineOptions.Builder on(String backend) {
        return EngineOptions.builder().backend(backend).context(32);
    }

    /** The golden tiny Mixtral (2 layers, 8 experts, top-2): from the class path when a runner puts it there, else the engine's test resources. */
    static Path golden() throws Exception {
        var url = CudaStoreTest.class.getResource("/golden/mixtral/config.json");
        if (url != null) return Path.of(url.toURI()).getParent();
        Path p = Path.of(System.getProperty("strata.root", ".."), "engine-java", "src", "test", "resources", "golden", "mixtral");
        Assumptions.assumeTrue(Files.isRegularFile(p.resolve("config.json")), "golden fixture not found at " + p);
        return p;
    }

    /** models/tiny-moe packed with the FloE codec (sparsity 0.5, calibrated on two short passages) into tmp/name. */
    Path packTinyMoeFloe(String name) throws Exception {
        Path model = Path.of(System.getProperty("strata.root", "."), "models", "tiny-moe");
        Assumptions.assumeTrue(Files.isRegularFile(model.resolve("model.safetensors")), "models/tiny-moe absent");
        Path cal = tmp.resolve(name + "-cal.txt");
        Files.writeString(cal, "And God said, Let there be light: and there was light.\n\nhacker n. A person who enjoys exploring"
                + " the details of programmable systems.\n");
        Path store = tmp.resolve(name);
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", model.toString(), "--out", store.toString(),
                "--codec", "floe", "--calibration", cal.toString(), "--sparsity", "0.5", "--no-progress"));
        return store;
    }

    /** --fast-budget on CUDA is the whole backend's VRAM: the peak stays within it, and the store's policy fills VRAM. */
    @Test
    void vramBudgetOfAPackedStoreHoldsAtItsPeak() throws Exception {
        Path store = tmp.resolve("store");
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", golden().toString(), "--out", store.toString(), "--no-progress"));
        long budget = CudaBackend.SCRATCH_RESERVE + (2L << 20);  // dense weights, KV, scratch and a few expert slots
        try (StrataModel m = ModelLoader.load(store, on("cuda").fastBudget(budget).policy("lfu").build())) {
            m.generateFixed(new int[] {1, 5, 9}, 12, SamplingConfig.GREEDY);
            CudaBackend cb = (CudaBackend) m.model().backend();
            long[] vram = cb.vramUsage();
            assertTrue(vram[1] <= budget, "peak VRAM " + vram[1] + " within the budget " + budget);
            var st = m.model().store().stats();
            assertTrue(st.served(Tier.FAST) > 0, "VRAM hits: " + st.toTable());
            assertEquals(st.promotedBytes(), cb.expertBytesCopied(), "host -> VRAM bytes as the store counts them");
            String table = ModelLoader.storeStats(m);
            assertTrue(table.contains("VRAM"), table);
            assertTrue(((TieredExpertStore) m.model().store()).fastMembers().size() <= cb.fastTier().capacity());
        }
    }

    /** gpt-oss packed as MXFP4 on the device (the MXFP4 kernel, from the VRAM tier under a tight budget): transformers' golden. */
    @Test
    void mxfp4GptOssStoreMatchesTransformersOnTheDevice() throws Exception {
        Path store = tmp.resolve("gpt-oss");
        io.strata.engine.checkpoint.GptOssPackTest.pack(store, null);
        long budget = CudaBackend.SCRATCH_RESERVE + (1L << 20);
        try (StrataModel m = ModelLoader.load(store, on("cuda").context(64).fastBudget(budget).build())) {
            assertEquals(java.util.List.of(new io.strata.tiering.ExpertLayout.Mxfp4()), m.model().store().layouts());
            double rel = io.strata.engine.checkpoint.GptOssPackTest.check(m.model(), true);
            assertTrue(rel < 1e-4, "relative logits error " + rel);
            assertTrue(m.model().store().stats().served(Tier.FAST) > 0, "experts ran from VRAM");
        }
    }

    /**
     * A GGUF file whose experts are K-quants (Q4_K/Q6_K and Q5_K/Q8_0 layers) packed keeping their bytes runs its
     * experts on the device kernels from their VRAM copies and gives the logits transformers computes on the gguf
     * package's dequantized values.
     */
    @Test
    void kQuantGgufExpertsRunFromVramWithTheLogitsOfTransformers() throws Exception {
        var url = CudaStoreTest.class.getResource("/gguf/qwen3_moe-q4_k_m/model.gguf");
        Path dir = url != null ? Path.of(url.toURI()).getParent()
                : Path.of(System.getProperty("strata.root", ".."), "engine-java", "src", "test", "resources", "gguf", "qwen3_moe-q4_k_m");
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("model.gguf")), "fixture not found at " + dir);
        var golden = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("golden.json").toFile());
        int[] ids = new int[golden.get("input_ids").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = golden.get("input_ids").get(i).asInt();
        float[] want = new float[ids.length * 256];
        for (int t = 0; t < ids.length; t++) for (int v = 0; v < 256; v++) want[t * 256 + v] = (float) golden.get("logits").get(t).get(v).asDouble();
        Path store = tmp.resolve("store");
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", dir.resolve("model.gguf").toString(), "--out", store.toString(), "--no-progress"));
        try (StrataModel m = ModelLoader.load(store, on("cuda").build())) {
            assertTrue(m.model().backend() instanceof CudaBackend);
            float[] got = m.model().forward(ids, 0, m.model().newCache(32), true);
            assertArrayEquals(want, got, 3e-4f);
            CudaBackend cb = (CudaBackend) m.model().backend();
            assertTrue(cb.expertBytesCopied() > 0, "experts were copied to VRAM and computed there");
        }
    }

    /**
     * FloE on the device: the same greedy tokens and the same partial-load bytes as the CPU path, and per decoded
     * token no activation copy between device and host beyond each layer's router logits and the final logits.
     */
    @Test
    void floeRunsOnTheDeviceWithTheCpuPathsPartialLoads() throws Exception {
        Path store = packTinyMoeFloe("floe");
        int[] prompt = {1, 450, 3303};
        int decode = 6;
        long[] moved = new long[2];
        int[][] tokens = new int[2][];
        String[] backends = {"cpu", "cuda"};
        for (int b = 0; b < 2; b++) {
            try (StrataModel m = ModelLoader.load(store, on(backends[b]).build())) {
                FloeExpertStore f = (FloeExpertStore) m.model().store();
                long[] before = new long[2];
                int[] step = {0};
                var r = m.generateFixed(prompt, decode, SamplingConfig.GREEDY, id -> {
                    if (m.model().backend() instanceof CudaBackend cb && step[0]++ == 0) {
                        before[0] = cb.activationCopies()[0];
                        before[1] = cb.activationCopies()[1];
                    }
                    return true;
                });
                tokens[b] = r.tokens();
                moved[b] = f.totals().bytesMoved();
                if (m.model().backend() instanceof CudaBackend cb) {
                    long[] after = cb.activationCopies();
                    int layers = m.config().numLayers();
                    // decode - 1 forward passes after the first token: each reads its routers' logits and the final logits
                    assertEquals((long) (decode - 1) * (layers + 1), after[0] - before[0], "device -> host activation reads");
                    assertEquals(0, after[1] - before[1], "host -> device activation writes");
                    assertTrue(cb.expertBytesCopied() > 0, "FloE experts ran from their VRAM copies");
                }
            }
        }
        assertEquals(java.util.Arrays.toString(tokens[0]), java.util.Arrays.toString(tokens[1]), "greedy tokens, CPU vs CUDA");
        assertEquals(moved[0], moved[1], "gate/downT row bytes moved, CPU vs CUDA");
    }

    /**
     * FloE on the device after a forward pass of more tokens than the device's token-id scratch held (64): growing
     * that scratch once freed the FloE buffers while the backend kept using them. Each pass must give the CPU path's
     * logits, the short prompt's again after the long one, and no freed device memory may be touched.
     */
    @Test
    void floeKeepsItsDeviceScratchWhenALongerPromptArrives() throws Exception {
        Path store = packTinyMoeFloe("floe-grow");
        int[] shortPrompt = {1, 450, 3303};
        int[] longPrompt = new int[70]; // one forward pass of 70 tokens: past the 64 ids the id scratch starts with
        for (int i = 0; i < longPrompt.length; i++) longPrompt[i] = 1 + (i * 977) % 31999;
        float[][][] logits = new float[2][][];
        String[] backends = {"cpu", "cuda"};
        for (int b = 0; b < 2; b++) {
            try (StrataModel m = ModelLoader.load(store, on(backends[b]).context(80).build())) {
                var mm = m.model();
                logits[b] = new float[3][];
                int[][] passes = {shortPrompt, longPrompt, shortPrompt};
                for (int p = 0; p < 3; p++) {
                    var cache = mm.newCache(80);
                    try {
                        logits[b][p] = mm.forward(passes[p], 0, cache, false);
                    } finally {
                        mm.backend().free(cache);
                    }
                }
            }
        }
        assertArrayEquals(logits[0][0], logits[0][2], "CPU: the short prompt's logits twice");
        for (int p = 0; p < 3; p++) {
            float scale = 0;
            for (float v : logits[0][p]) scale = Math.max(scale, Math.abs(v));
            assertArrayEquals(logits[0][p], logits[1][p], 2e-2f * scale, "pass " + p + ": logits, CPU vs CUDA");
        }
    }

    /**
     * A blob corrupted after the store opened is caught by its CRC when the host tier reads it, before any copy to VRAM:
     * the generation fails naming file, layer and expert, nothing corrupt reaches the device, and once the file is
     * whole again the same model generates the clean run's tokens.
     */
    @Test
    void blobCorruptedAfterOpenNeverReachesVram() throws Exception {
        Path store = tmp.resolve("store");
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", golden().toString(), "--out", store.toString(), "--no-progress"));
        long slot;
        java.util.List<io.strata.tiering.store.StoreManifest.ExpertEntry> layer1 = new java.util.ArrayList<>();
        Path file;
        try (var ps = io.strata.tiering.store.PackedStore.open(store)) {
            slot = ps.maxExpertBytes();
            for (int e = 0; e < ps.numExperts(); e++) layer1.add(ps.expert(1, e));
            file = ps.file(layer1.get(0));
            for (var en : layer1) assertEquals(file, ps.file(en), "the golden store keeps its experts in one file");
        }
        int[] prompt = {1, 5, 9, 77};
        int[] clean;
        try (StrataModel m = ModelLoader.load(store, on("cuda").build())) {
            clean = m.generateFixed(prompt, 8, SamplingConfig.GREEDY).tokens();
        }
        // Three host slots for 16 experts: experts are read again and again, so the corrupt one is read after open.
        try (StrataModel m = ModelLoader.load(store, on("cuda").hostBudget(3 * slot).build())) {
            byte[] whole = Files.readAllBytes(file);
            byte[] bad = whole.clone();
            for (var en : layer1) for (long i = en.offset(); i < en.offset() + en.length(); i += 512) bad[(int) i] ^= 0x5A;
            Files.write(file, bad);
            long copiedBefore = ((CudaBackend) m.model().backend()).expertBytesCopied();
            boolean failed = false;
            try {
                for (int round = 0; round < 4 && !failed; round++) {
                    int[] p = {1 + round, 5, 9, 77 + round, 3, 200};
                    try {
                        m.generateFixed(p, 8, SamplingConfig.GREEDY);
                    } catch (io.strata.tiering.store.StoreException e) {
                        failed = true;
                        assertTrue(e.getMessage().contains(file.getFileName().toString()) && e.getMessage().contains("layer 1 expert")
                                && e.getMessage().contains("CRC32C"), e.getMessage());
                    }
                }
                long copied = ((CudaBackend) m.model().backend()).expertBytesCopied() - copiedBefore;
                assertTrue(failed, "a layer-1 expert was read after the corruption and failed its CRC");
                assertTrue(copied % slotBytesOf(m) == 0, "only whole verified experts went to VRAM");
            } finally {
                Files.write(file, whole);
            }
            assertArrayEquals(clean, m.generateFixed(prompt, 8, SamplingConfig.GREEDY).tokens(), "the model serves again once the file is whole");
        }
    }

    /** Bytes one expert copy to VRAM moves (gate + up + down of the golden model). */
    private static long slotBytesOf(StrataModel m) {
        var c = m.config();
        return 3L * c.hidden() * c.expertIntermediate() * 4;  // f32 golden weights
    }
}
