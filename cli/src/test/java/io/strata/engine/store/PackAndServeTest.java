// strata pack → strata run: a packed store serves the same model as the checkpoint it came from.
package io.strata.engine.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.compression.DType;
import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.engine.api.EngineOptions;
import io.strata.engine.cli.StrataCli;
import io.strata.engine.floe.CodecExpertStore;
import io.strata.engine.model.Architecture;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.MoeModel;
import io.strata.engine.synth.SyntheticCheckpoint;
import io.strata.engine.synth.SyntheticCheckpoint.Spec;
import io.strata.tiering.ExpertLayout;
import io.strata.tiering.TieredExpertStore;
import java.util.List;
import io.strata.tiering.store.PackedStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackAndServeTest {
    @TempDir
    Path tmp;

    static EngineOptions cpu() {
        return cpuBuilder().build();
    }

    static EngineOptions.Builder cpuBuilder() {
        return EngineOptions.builder().backend("cpu").context(64);
    }

    static float maxAbs(float[] v) {
        float m = 0;
        for (float x : v) m = Math.max(m, Math.abs(x));
        return m;
    }

    static float[] logits(StrataModel m, int[] ids) {
        return m.model().forward(ids, 0, m.model().newCache(16), true);
    }

    @Test
    void bf16StoreUnderTightBudgetsGivesTheCheckpointsLogits() throws Exception {
        Spec spec = new Spec(Architecture.QWEN2_MOE, 128, 32, 3, 4, 2, 8, 8, 2, 16, 24, DType.BF16, 5, 1 << 30);
        Path ck = SyntheticCheckpoint.write(spec, tmp.resolve("ck"), null);
        Path store = tmp.resolve("store");
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", ck.toString(), "--out", store.toString(), "--no-progress"));
        int[] ids = {1, 7, 99, 3, 42, 5};
        float[] want;
        try (StrataModel m = ModelLoader.load(ck, cpu())) {
            want = logits(m, ids);
        }
        long expert = 3L * 16 * 32 * 2;
        EngineOptions.Builder so = cpuBuilder()
                .hostBudget(4 * 4096 * 3)   // a few slots only: forces evictions and SSD reads
                .fastBudget(2 * 4096 * 3)
                .policy("lfu");
        try (StrataModel m = ModelLoader.load(store, so.build())) {
            assertTrue(m.model().store() instanceof TieredExpertStore);
            // Same bytes, same arithmetic; only the Vector API's lane-reduction order may differ
            // between interpreted and compiled code, so allow float rounding.
            assertArrayEquals(want, logits(m, ids), 1e-5f);
            var st = ((TieredExpertStore) m.model().store()).stats();
            // Where the experts are now: at most the 4 host slots, at most 2 in the fast tier, the fast ones also in host.
            var where = m.residency();
            assertEquals(4, where.hostSlots(), where.toString());
            assertTrue(!where.host().isEmpty() && where.host().size() <= 4 && !where.fast().isEmpty() && where.fast().size() <= 2
                    && where.host().containsAll(where.fast()), where.toString());
            assertTrue(st.ssdBytesRead() >= expert, "experts were read from the store files");
            // The API's snapshot carries the same per-tier counts.
            var tiers = m.stats().tiers();
            assertEquals(3, tiers.size());
            assertEquals(st.acquires(), tiers.stream().mapToLong(t -> t.served()).sum());
            assertEquals(st.ssdBytesRead(), m.stats().ssdBytesRead());
        }
        // With --prefetch the same logits, and the stats name the prefetcher's hints and the demand stall.
        so.prefetch("lookahead").prefetchDepth(1);
        try (StrataModel m = ModelLoader.load(store, so.build())) {
            assertArrayEquals(want, logits(m, ids), 1e-5f);
            assertTrue(ModelLoader.tieredStore(m).stats().ssdReads() > 0);
            var r = ModelLoader.prefetchReport(m);
            assertTrue(r.total().acquires() > 0 && r.total().stallNanos() >= 0, r.table());
            assertTrue(ModelLoader.storeStats(m).contains("unhinted miss/ms"), ModelLoader.storeStats(m));
            var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(ModelLoader.storeStatsJson(m));
            assertTrue(json.path("prefetch").path("total").has("stall_ns"), json.toString());
            assertTrue(json.has("ssd_reads"), json.toString());
        }
    }

    @Test
    void learnedPolicyTrainedOnARecordedTraceServesTheStore() throws Exception {
        // What a user does: record a trace of the model, train the policy on it, serve the store with it.
        Spec spec = new Spec(Architecture.MIXTRAL, 128, 32, 2, 4, 2, 16, 8, 2, 16, 0, DType.BF16, 11, 1 << 30);
        Path ck = SyntheticCheckpoint.write(spec, tmp.resolve("ckl"), null);
        Path store = tmp.resolve("storel");
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", ck.toString(), "--out", store.toString(), "--no-progress"));
        Path trace = tmp.resolve("run.jsonl");
        int[] ids = new int[40];
        for (int i = 0; i < ids.length; i++) ids[i] = (i * 37 + 5) % 128;
        float[] want;
        try (StrataModel m = ModelLoader.load(store, cpu())) {
            try (var rec = ModelLoader.attachTrace(m, trace)) {
                want = m.model().forward(ids, 0, m.model().newCache(ids.length), true);
            }
        }
        Path weights = tmp.resolve("learned.json");
        assertEquals(0, StrataCli.commandLine().execute("trace", "replay", "--trace", trace.toString(), "--policy", "lru,learned",
                "--slots", "4", "--save-learned", weights.toString()));
        assertTrue(Files.size(weights) > 0);
        long blob;
        try (PackedStore ps = PackedStore.open(store)) {
            blob = ps.maxExpertBytes();
        }
        EngineOptions.Builder so = cpuBuilder().hostBudget(8 * blob) // 8 of 16 experts: evictions chosen by the policy
                .policy("learned");
        // Without its weights the policy is refused by name, saying where weights come from.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, so::build);
        assertTrue(e.getMessage().contains("--policy-model") && e.getMessage().contains("--save-learned"), e.getMessage());
        so.policyModel(weights);
        try (StrataModel m = ModelLoader.load(store, so.build())) {
            TieredExpertStore t = assertInstanceOf(TieredExpertStore.class, m.model().store());
            assertEquals("learned", t.policyName());
            assertArrayEquals(want, m.model().forward(ids, 0, m.model().newCache(ids.length), true), 1e-5f);
            assertTrue(t.stats().hostEvictions() > 0, "the policy chose victims");
        }
        // Weights for another policy's flag are refused too.
        so.policy("lru");
        assertThrows(IllegalArgumentException.class, so::build);
    }

    /**
     * A resumed int4 pack keeps the experts an interrupted run wrote and encodes only the others. The
     * interrupted run is staged by hand: layer 0's experts 0 and 2 are written with a recognisable fill
     * instead of their codes, and then their weights in the checkpoint are overwritten with NaN, which
     * the encoder refuses: the resumed pack succeeds only if it never encodes them again.
     */
    @Test
    void resumedInt4PackDoesNotEncodeWhatItAlreadyWrote() throws Exception {
        Spec spec = new Spec(Architecture.MIXTRAL, 128, 64, 2, 4, 2, 16, 4, 2, 64, 0, DType.BF16, 9, 1 << 30);
        Path ck = SyntheticCheckpoint.write(spec, tmp.resolve("ckr"), null);
        Path whole = tmp.resolve("whole"), resumed = tmp.resolve("resumed");
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", ck.toString(), "--out", whole.toString(),
                "--codec", "int4", "--no-progress"));
        long blobBytes;
        try (PackedStore ps = PackedStore.open(whole)) {
            blobBytes = ps.expert(0, 0).matrices().getFirst().length();
        }
        try (var cfgIn = Files.newInputStream(ck.resolve("config.json"));
             var w = io.strata.tiering.store.StoreWriter.create(resumed,
                     io.strata.tiering.store.StoreManifest.JSON.readTree(cfgIn), "int4", 2, 4);
             var arena = java.lang.foreign.Arena.ofConfined()) {
            var fill = arena.allocate(blobBytes);
            fill.fill((byte) 0x5A);
            for (int e : new int[] {0, 2}) {
                w.writeExpert(0, e, List.of(new io.strata.tiering.store.StoreWriter.Blob(CodecStoreFiles.BLOB, DType.U8,
                        new long[] {blobBytes}, fill)));
            }
        } // closed without commit: resumed.partial stays, as after an interruption
        for (int e : new int[] {0, 2}) poisonTensor(ck.resolve("model.safetensors"), io.strata.engine.model.TensorNames.expert(Architecture.MIXTRAL, 0, e, 0));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        var cli = StrataCli.commandLine();
        cli.setOut(new java.io.PrintWriter(out, true));
        java.io.PrintStream was = System.out;
        System.setOut(new java.io.PrintStream(out, true));
        try {
            assertEquals(0, cli.execute("pack", "--model", ck.toString(), "--out", resumed.toString(), "--codec", "int4", "--no-progress"));
        } finally {
            System.setOut(was);
        }
        assertTrue(out.toString().contains("resuming: 2 experts already packed"), out.toString());
        try (PackedStore a = PackedStore.open(whole); PackedStore b = PackedStore.open(resumed);
             var arena = java.lang.foreign.Arena.ofConfined()) {
            assertEquals(a.manifest().model(), b.manifest().model());
            for (int l = 0; l < 2; l++) {
                for (int e = 0; e < 4; e++) {
                    var ra = arena.allocate(a.expert(l, e).length(), 4096);
                    var rb = arena.allocate(b.expert(l, e).length(), 4096);
                    a.readExpert(l, e, ra);
                    b.readExpert(l, e, rb);
                    boolean kept = l == 0 && (e == 0 || e == 2);
                    long first = rb.asSlice(0, blobBytes).mismatch(kept ? fill(arena, blobBytes) : ra.asSlice(0, blobBytes));
                    assertEquals(-1L, first, "layer " + l + " expert " + e + (kept ? ": the resumed pack re-encoded it"
                            : ": differs from the uninterrupted pack"));
                }
            }
            assertEquals(Files.readString(whole.resolve(CodecStoreFiles.FILE)), Files.readString(resumed.resolve(CodecStoreFiles.FILE)),
                    "codec parameters of skipped experts are the ones encoding gives");
        }
    }

    /** Overwrites every element of a BF16 tensor of a single-file safetensors checkpoint with NaN. */
    private static void poisonTensor(Path file, String name) throws Exception {
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            var len = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            long headerLen = len.getLong(0);
            var header = java.nio.ByteBuffer.allocate((int) headerLen);
            ch.read(header, 8);
            var t = io.strata.tiering.store.StoreManifest.JSON.readTree(new String(header.array(), java.nio.charset.StandardCharsets.UTF_8)).get(name);
            assertEquals("BF16", t.get("dtype").asText(), name);
            long from = 8 + headerLen + t.get("data_offsets").get(0).asLong(), to = 8 + headerLen + t.get("data_offsets").get(1).asLong();
            var nan = java.nio.ByteBuffer.allocate((int) (to - from)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            while (nan.hasRemaining()) nan.putShort((short) 0x7FC0);
            nan.flip();
            ch.write(nan, from);
        }
    }

    private static java.lang.foreign.MemorySegment fill(java.lang.foreign.Arena arena, long bytes) {
        var s = arena.allocate(bytes);
        s.fill((byte) 0x5A);
        return s;
    }

    @Test
    void int4StoreServesThroughTheFusedKernels() throws Exception {
        Spec spec = new Spec(Architecture.MIXTRAL, 128, 64, 2, 4, 2, 16, 4, 2, 64, 0, DType.BF16, 9, 1 << 30);
        Path ck = SyntheticCheckpoint.write(spec, tmp.resolve("ck4"), null);
        Path store = tmp.resolve("store4");
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", ck.toString(), "--out", store.toString(),
                "--codec", "int4", "--no-progress"));
        assertTrue(Files.exists(store.resolve(CodecStoreFiles.FILE)));
        int[] ids = {1, 2, 3, 4};
        float[] dense, q;
        try (StrataModel m = ModelLoader.load(ck, cpu())) {
            dense = logits(m, ids);
        }
        long blob;
        try (PackedStore ps = PackedStore.open(store)) {
            blob = ps.maxExpertBytes();
        }
        EngineOptions tight = cpuBuilder().hostBudget(3 * blob).build();  // 3 of 8 experts: evictions and re-reads
        try (StrataModel m = ModelLoader.load(store, tight)) {
            TieredExpertStore t = assertInstanceOf(TieredExpertStore.class, m.model().store());
            assertEquals(List.of(new ExpertLayout.GroupQuant(4, 64)), t.layouts(), "the store hands out int4 blobs");
            q = logits(m, ids);
            assertTrue(t.hostAllocatedBytes() <= 3 * blob, "host tier within its budget");
            assertTrue(t.stats().ssdBytesRead() > 3 * blob, "more than the budget was read: evictions happened");
        }
        // Independent reference: the same blobs dequantized to f32 and run as dense experts.
        float[] deq;
        try (PackedStore ps = PackedStore.open(store); java.lang.foreign.Arena a = java.lang.foreign.Arena.ofShared()) {
            ModelConfig c = ModelConfig.parse(ps.manifest().model(), store);
            var enc = CodecStoreFiles.open(ps, c, a);
            try (MoeModel m = new MoeModel(c, new PackedWeightSource(ps), new CodecExpertStore(enc, CodecExpertStore.Mode.DEQUANTIZED),
                    new io.strata.engine.backend.cpu.CpuBackend())) {
                deq = m.forward(ids, 0, m.newCache(16), true);
            }
        }
        assertArrayEquals(deq, q, 1e-4f * maxAbs(deq), "fused int4 from the tiers equals the dequantized int4 model");
        double num = 0, den = 0;
        for (int i = 0; i < q.length; i++) {
            num += (q[i] - dense[i]) * (double) (q[i] - dense[i]);
            den += dense[i] * (double) dense[i];
        }
        double rel = Math.sqrt(num / den);
        assertTrue(rel > 0 && rel < 0.2, "int4 logits differ from bf16 by a small, non-zero amount: " + rel);
    }

    @Test
    void corruptCodecBlobIsRefusedNamingTheExpert() throws Exception {
        Spec spec = new Spec(Architecture.MIXTRAL, 128, 64, 1, 4, 2, 16, 4, 2, 64, 0, DType.BF16, 9, 1 << 30);
        Path ck = SyntheticCheckpoint.write(spec, tmp.resolve("ckc"), null);
        Path store = tmp.resolve("storec");
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", ck.toString(), "--out", store.toString(),
                "--codec", "int2", "--no-progress"));
        Path blobFile;
        try (var s = Files.list(store)) {
            blobFile = s.filter(p -> p.getFileName().toString().startsWith("experts-")).findFirst().orElseThrow();
        }
        byte[] b = Files.readAllBytes(blobFile);
        b[100] ^= 0x5A;
        Files.write(blobFile, b);
        // Blobs are checked when the tiers read them: the first use of the damaged expert fails.
        try (StrataModel m = ModelLoader.load(store, cpu())) {
            Exception e = assertThrows(RuntimeException.class, () -> m.model().store().acquire(0, 0).close());
            assertTrue(e.getMessage().contains("layer 0 expert 0") && e.getMessage().contains("CRC"), e.getMessage());
            m.model().store().acquire(0, 1).close();  // the others still serve
        }
    }

    @Test
    void floeStoreFromTheTrainedModelGenerates() throws Exception {
        Path model = Path.of(System.getProperty("strata.root", "."), "models", "tiny-moe");
        Assumptions.assumeTrue(Files.isRegularFile(model.resolve("model.safetensors")), "models/tiny-moe absent");
        Path cal = tmp.resolve("cal.txt");
        Files.writeString(cal, "And God said, Let there be light: and there was light.\n\nLa vida es sueño.\n\n"
                + "hacker n. A person who enjoys exploring the details of programmable systems.\n");
        Path store = tmp.resolve("floe");
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", model.toString(), "--out", store.toString(),
                "--codec", "floe", "--calibration", cal.toString(), "--sparsity", "0.5", "--no-progress"));
        try (StrataModel m = ModelLoader.load(store, cpu())) {
            var r = m.generate("And the LORD said unto Moses,", 8, io.strata.engine.generate.SamplingConfig.GREEDY, s -> {});
            assertEquals(8, r.tokens().length);
            String stats = ModelLoader.storeStats(m);
            assertTrue(stats.contains("sparsity"), stats);
        }
        Files.writeString(cal, "  \n\n ");
        Path store2 = tmp.resolve("floe2");
        var cli = StrataCli.commandLine();
        var err = new java.io.StringWriter();
        cli.setErr(new java.io.PrintWriter(err, true));
        int rc = cli.execute("pack", "--model", model.toString(), "--out", store2.toString(),
                "--codec", "floe", "--calibration", cal.toString(), "--no-progress");
        assertEquals(2, rc, "a calibration file with no text is refused");
        // The dense tensors were already written when calibration failed: the unfinished store is removed, and said so.
        assertTrue(!Files.exists(tmp.resolve("floe2.partial")), "no floe2.partial left behind");
        assertTrue(err.toString().contains("removed the unfinished " + tmp.resolve("floe2.partial").toAbsolutePath().normalize()),
                err.toString());
    }
}
