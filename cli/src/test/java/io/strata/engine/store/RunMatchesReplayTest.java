// A run's fast-tier hits equal the trace simulator's on the trace that run recorded: the store's fast tier (VRAM on
// CUDA, the resident set on the CPU) is governed by the same policy the simulator replays.
package io.strata.engine.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.engine.api.EngineOptions;
import io.strata.engine.cli.StrataCli;
import io.strata.engine.generate.SamplingConfig;
import io.strata.kernels.cuda.CudaAvailability;
import io.strata.tiering.Tier;
import io.strata.tiering.policy.LfuPolicy;
import io.strata.tiering.policy.LruPolicy;
import io.strata.tiering.replay.TraceReplay;
import io.strata.tiering.stats.StoreStats;
import io.strata.tiering.store.PackedStore;
import io.strata.tiering.trace.RoutingTrace;
import io.strata.tiering.trace.TraceReader;
import io.strata.tiering.trace.TraceRecorder;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

class RunMatchesReplayTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "cuda"})
    void fastTierHitsOfARunEqualTheReplayOfItsTrace(String backend) throws Exception {
        if (backend.equals("cuda")) Assumptions.assumeTrue(CudaAvailability.available(), CudaAvailability.reason());
        // 2 layers, 8 experts, top-2 (from the classpath, so it runs from a jar-less test-classes folder too)
        Path ck = CudaStoreTest.golden();
        Path store = tmp.resolve("store");
        assertEquals(0, StrataCli.commandLine().execute("pack", "--model", ck.toString(), "--out", store.toString(), "--no-progress"));
        long slotBytes;
        try (PackedStore ps = PackedStore.open(store)) {
            slotBytes = ps.maxExpertBytes();
        }
        int differ = 0;
        for (int slots : new int[] {2, 3}) {          // per layer on average: a global pool of slots x 2 experts
            for (String policy : new String[] {"lru", "lfu"}) {
                int capacity = slots * 2;
                // Copy-only: every acquired expert joins the fast tier, as the replay admits (a hybrid plan computes
                // some misses on the CPU without admitting them: HybridExecutionTest covers that).
                var b = EngineOptions.builder().backend(backend).context(64).policy(policy).offloadCompute("gpu");
                if (backend.equals("cpu")) b.fastBudget(capacity * slotBytes);
                else System.setProperty("strata.cuda.maxExpertSlots", Integer.toString(capacity));
                Path trace = tmp.resolve(backend + "-" + policy + "-" + slots + ".jsonl");
                StoreStats st;
                try (StrataModel m = ModelLoader.load(store, b.build())) {
                    TraceRecorder rec = ModelLoader.attachTrace(m, trace);
                    // Token by token (a one-token prompt, then decode): each step is one token's routing, as in the trace.
                    m.generateFixed(new int[] {1}, 24, SamplingConfig.GREEDY);
                    rec.close();
                    st = m.model().store().stats();
                } finally {
                    System.clearProperty("strata.cuda.maxExpertSlots");
                }
                RoutingTrace t = TraceReader.read(trace, 0);
                var p = policy.equals("lru") ? new LruPolicy() : new LfuPolicy();
                TraceReplay.Result sim = TraceReplay.simulate(t, p, slots, true, TraceReplay.Pinning.STEP, 0, Integer.MAX_VALUE);
                assertEquals(sim.requests(), st.acquires(), backend + " " + policy + " at " + capacity + " slots: acquires");
                assertEquals(sim.hits(), st.served(Tier.FAST), backend + " " + policy + " at " + capacity + " slots: fast hits");
                if (sim.hits() != sim.requests()) differ++;
            }
        }
        assertTrue(differ > 0, "the budgets were small enough to miss");
    }
}
