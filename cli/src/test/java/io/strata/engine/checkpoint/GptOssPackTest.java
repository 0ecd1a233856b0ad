// strata pack on a gpt-oss checkpoint: MXFP4 experts stay MXFP4 in the store (and --codec converts them), and the
// packed store gives transformers' logits, router choices and greedy tokens (fixture gpt_oss_mxfp4 of the engine).
package io.strata.engine.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.engine.api.EngineOptions;
import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.engine.cli.StrataCli;
import io.strata.engine.model.MoeModel;
import io.strata.engine.moe.RoutingObserver;
import io.strata.tiering.ExpertLayout;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class GptOssPackTest {
    @TempDir
    Path tmp;

    static Path fixture() throws Exception {
        return Path.of(GptOssPackTest.class.getResource("/golden/gpt_oss_mxfp4/config.json").toURI()).getParent();
    }

    /** Packs the MXFP4 fixture into out (codec null: the default), returning what pack printed. */
    public static String pack(Path out, String codec) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true));
        int rc;
        try {
            List<String> args = new ArrayList<>(List.of("pack", "--model", fixture().toString(), "--out", out.toString(), "--no-progress"));
            if (codec != null) args.addAll(List.of("--codec", codec));
            rc = StrataCli.commandLine().execute(args.toArray(String[]::new));
        } finally {
            System.setOut(old);
        }
        assertEquals(0, rc, buf.toString());
        return buf.toString();
    }

    /** Relative logits error against the golden, after asserting router top-k and greedy tokens when exact. */
    public static double check(MoeModel m, boolean exact) throws Exception {
        JsonNode g = new ObjectMapper().readTree(fixture().resolve("golden.json").toFile());
        int[] ids = ints(g.get("input_ids"));
        List<int[][]> routes = new ArrayList<>();
        RoutingObserver ob = new RoutingObserver() {
            @Override
            public void onRouted(int layer, int pos0, int[][] experts, float[][] weights) {
                routes.add(experts);
            }
        };
        m.addObserver(ob);
        float[] logits = m.forward(ids, 0, m.newCache(64), true);
        m.removeObserver(ob);
        int V = m.config().vocabSize();
        double num = 0, den = 0;
        for (int t = 0; t < ids.length; t++) {
            for (int v = 0; v < V; v++) {
                double r = g.get("logits").get(t).get(v).asDouble(), d = logits[t * V + v] - r;
                num += d * d;
                den += r * r;
            }
        }
        if (exact) {
            for (int l = 0; l < m.config().numLayers(); l++) {
                for (int t = 0; t < ids.length; t++) assertArrayEquals(ints(g.get("router_topk").get(l).get(t)), routes.get(l)[t], "layer " + l + " token " + t);
            }
            var cache = m.newCache(64);
            float[] last = m.forward(ids, 0, cache, false);
            int pos = ids.length;
            int[] greedy = ints(g.get("greedy"));
            for (int i = 0; i < greedy.length; i++) {
                int next = 0;
                for (int v = 1; v < last.length; v++) if (last[v] > last[next]) next = v;
                assertEquals(greedy[i], next, "greedy token " + i);
                last = m.forward(new int[] {next}, pos++, cache, false);
            }
        }
        return Math.sqrt(num / den);
    }

    static int[] ints(JsonNode n) {
        int[] r = new int[n.size()];
        for (int i = 0; i < r.length; i++) r[i] = n.get(i).asInt();
        return r;
    }

    @Test
    void mxfp4ExpertsStayMxfp4AndTheStoreMatchesTransformers() throws Exception {
        Path store = tmp.resolve("store");
        String out = pack(store, null);
        assertTrue(out.contains("packing them as mxfp4"), out);
        assertTrue(Files.readString(store.resolve("codec.json")).contains("\"mxfp4\""));
        // a host budget of five 12 KiB experts (16 in the model): experts are evicted and read again from the store
        EngineOptions o = EngineOptions.builder().backend("cpu").context(64).hostBudget(5 * 12 * 1024L).build();
        try (StrataModel m = ModelLoader.load(store, o)) {
            assertEquals(List.of(new ExpertLayout.Mxfp4()), m.model().store().layouts());
            double rel = check(m.model(), true);
            assertTrue(rel < 1e-4, "relative logits error " + rel);
        }
    }

    @Test
    void ggufFileInLlamaCppsLayoutPacksAsMxfp4AndMatchesTransformers() throws Exception {
        // tools/gguf-fixtures/make_gpt_oss_gguf.py: the same weights, experts as ggml MXFP4 blocks
        Path gguf = Path.of(GptOssPackTest.class.getResource("/gguf/gpt_oss-mxfp4/model.gguf").toURI());
        Path store = tmp.resolve("gguf-store");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true));
        int rc;
        try {
            rc = StrataCli.commandLine().execute("pack", "--model", gguf.toString(), "--out", store.toString(), "--no-progress");
        } finally {
            System.setOut(old);
        }
        assertEquals(0, rc, buf.toString());
        assertTrue(buf.toString().contains("packing them as mxfp4"), buf.toString());
        try (StrataModel m = ModelLoader.load(store, EngineOptions.builder().backend("cpu").context(64).build())) {
            assertEquals(List.of(new ExpertLayout.Mxfp4()), m.model().store().layouts());
            double rel = check(m.model(), true);
            assertTrue(rel < 1e-4, "relative logits error " + rel);
        }
        // the experts' blobs are the GGUF file's MXFP4 bytes: re-encoding lost nothing
        try (var ck = io.strata.engine.checkpoint.gguf.GgufCheckpoint.open(gguf);
             var ps = io.strata.tiering.store.PackedStore.open(store)) {
            var t = ck.gguf().tensors().get("blk.1.ffn_down_exps.weight");
            var cf = io.strata.engine.store.CodecStoreFiles.read(ps);
            var params = cf.experts()[1][3];
            var blob = ps.expert(1, 3);
            assertTrue(blob != null);
            long per = t.data().byteSize() / 8, partOff = params.part("down").offset();
            try (var arena = java.lang.foreign.Arena.ofConfined()) {
                var region = arena.allocate(blob.length(), 4096);
                ps.readExpert(1, 3, region);
                var m = blob.matrix("blob");
                var want = t.data().asSlice(3 * per, per);
                assertEquals(-1, want.mismatch(region.asSlice(m.offset() + partOff, per)), "down blob of expert (1, 3) = the GGUF bytes");
            }
        }
    }

    @Test
    void codecConvertsMxfp4Experts() throws Exception {
        // bf16 holds every MXFP4 value exactly: the converted store gives the golden itself
        Path bf16 = tmp.resolve("bf16");
        pack(bf16, "bf16");
        EngineOptions o = EngineOptions.builder().backend("cpu").context(64).build();
        try (StrataModel m = ModelLoader.load(bf16, o)) {
            assertEquals(List.of(new ExpertLayout.Dense(io.strata.compression.DType.BF16)), m.model().store().layouts());
            double rel = check(m.model(), true);
            assertTrue(rel < 1e-4, "bf16 experts: relative logits error " + rel);
        }
        // int8 re-quantizes (its error on this random model is a few percent of the logits)
        Path int8 = tmp.resolve("int8");
        pack(int8, "int8-g32");
        try (StrataModel m = ModelLoader.load(int8, o)) {
            assertEquals(List.of(new ExpertLayout.GroupQuant(8, 32)), m.model().store().layouts());
            double rel = check(m.model(), false);
            assertTrue(rel < 0.1, "int8 experts: relative logits error " + rel);
        }
    }
}
