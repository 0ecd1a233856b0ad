// The four paths of a GPU step (VRAM hit, copy, CPU compute, prefetched copy) give the all-in-VRAM result, within budgets.
package io.strata.engine.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.engine.api.EngineOptions;
import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.engine.backend.KvCache;
import io.strata.engine.backend.cuda.CudaBackend;
import io.strata.engine.cli.StrataCli;
import io.strata.engine.generate.SamplingConfig;
import io.strata.engine.hybrid.Calibration;
import io.strata.engine.hybrid.PathCounts;
import io.strata.engine.hybrid.StepPlanner.Path;
import io.strata.kernels.cuda.CudaAvailability;
import io.strata.tiering.TieredExpertStore;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HybridExecutionTest {
    private static final int[] PROMPT = {1, 5, 9, 44, 3};

    @TempDir
    static java.nio.file.Path tmp;
    static java.nio.file.Path store;

    @BeforeAll
    static void packAndCalibrate() throws Exception {
        Assumptions.assumeTrue(CudaAvailability.available(), CudaAvailability.reason());
        store = tmp.resolve("store");
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", CudaStoreTest.golden().toString(), "--out", store.toString(),
                "--no-progress"));
        // A calibration where a copy and a CPU expert cost the same and the device computes for free: the plan sends a
        // layer's first miss to VRAM and its second to the CPU (the copy engine is busy by then), so auto mixes both.
        var cal = new Calibration(Calibration.thisMachine(), "test", 1, 1e10, 1e9, null, true,
                Map.of("f32", new double[] {1e8}), 1e8, 1e8, Map.of("f32", 1e15), "test device", false);
        java.nio.file.Path f = tmp.resolve("calibration.json");
        cal.save(f);
        System.setProperty("strata.calibration", f.toString());
    }

    @AfterAll
    static void clear() {
        System.clearProperty("strata.calibration");
    }

    record Run(int[] tokens, float[] logits, PathCounts.Snapshot paths, long peakVram, long budget) {}

    static Run run(String mode, long vramBudget, String prefetch) {
        var o = EngineOptions.builder().backend("cuda").context(32).offloadCompute(mode).prefetch(prefetch);
        if (vramBudget > 0) o.fastBudget(vramBudget);
        try (StrataModel m = ModelLoader.load(store, o.build())) {
            KvCache cache = m.model().newCache(32);
            float[] logits = m.model().forward(PROMPT, 0, cache, true);
            m.model().backend().free(cache);
            int[] tokens = m.generateFixed(PROMPT, 10, SamplingConfig.GREEDY).tokens();
            CudaBackend cb = (CudaBackend) m.model().backend();
            var t = (TieredExpertStore) m.model().store();
            assertTrue(t.hostAllocatedBytes() > 0);
            return new Run(tokens, logits, m.model().paths(), cb.vramUsage()[1], vramBudget);
        }
    }

    @Test
    void everyPathGivesTheAllInVramResult() {
        Run all = run("gpu", 0, "off");  // no budget: every expert stays in VRAM after its first copy
        long small = CudaBackend.SCRATCH_RESERVE + (1L << 20); // dense weights, KV, scratch and a few expert slots
        for (String mode : new String[] {"gpu", "cpu", "auto"}) {
            for (String prefetch : new String[] {"off", "lookahead"}) {
                Run r = run(mode, small, prefetch);
                String what = mode + (prefetch.equals("off") ? "" : " + prefetch") + " " + r.paths();
                assertArrayEquals(all.tokens(), r.tokens(), "greedy tokens, " + what);
                assertEquals(0, relativeError(all.logits(), r.logits()), 2e-3, "prompt logits, " + what);
                assertTrue(r.peakVram() <= small, "peak VRAM " + r.peakVram() + " within " + small + ", " + what);
                var p = r.paths();
                switch (mode) {
                    case "gpu" -> {
                        assertEquals(0, p.uses().get(Path.CPU), what);
                        assertTrue(p.uses().get(Path.COPY) > 0, what);
                    }
                    case "cpu" -> {
                        assertTrue(p.uses().get(Path.CPU) > 0, what);
                        assertEquals(0, p.uses().get(Path.COPY), what);
                    }
                    default -> {
                        assertTrue(p.uses().get(Path.CPU) > 0, what);
                        assertTrue(p.uses().get(Path.COPY) > 0, what);
                    }
                }
                if (!prefetch.equals("off") && !mode.equals("cpu")) {
                    // lookahead's hints are copied into VRAM ahead of use; some of them are right on this model
                    assertTrue(p.uses().get(Path.PREFETCHED) > 0, what);
                }
            }
        }
    }

    static double relativeError(float[] want, float[] got) {
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
            double d = got[i] - want[i];
            num += d * d;
            den += (double) want[i] * want[i];
        }
        return Math.sqrt(num / den);
    }
}
