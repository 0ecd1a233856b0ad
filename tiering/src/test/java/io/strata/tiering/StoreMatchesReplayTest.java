// The tiered store and the trace simulator are two implementations of one cache: they must agree miss for miss.
package io.strata.tiering;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.tiering.policy.EvictionPolicy;
import io.strata.tiering.policy.LfuPolicy;
import io.strata.tiering.policy.LruPolicy;
import io.strata.tiering.policy.Policies;
import io.strata.tiering.replay.TraceReplay;
import io.strata.tiering.stats.StoreStats;
import io.strata.tiering.store.StoreTestData;
import io.strata.tiering.trace.RoutingTrace;
import io.strata.tiering.trace.TraceReader;
import io.strata.tiering.trace.TraceStep;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreMatchesReplayTest {
    static final long SLOT = 4096; // hidden 8, inter 8 F32: three 256 B matrices, each padded to 4 KiB -> 12 KiB

    @TempDir
    Path dir;

    /**
     * Drives the store with the trace (one step's handles held until the step ends, as a layer computes its experts
     * together) with host and fast capacity equal, and compares its SSD loads with the simulator's misses.
     */
    private static long storeMisses(Path storeDir, RoutingTrace t, int slots, boolean perLayer, Supplier<EvictionPolicy> p) {
        return storeMisses(storeDir, t, slots, perLayer, p, false);
    }

    /** As above; with requestFirst the step's experts are announced by request() before the first acquire (the engine's order). */
    private static long storeMisses(Path storeDir, RoutingTrace t, int slots, boolean perLayer, Supplier<EvictionPolicy> p,
                                    boolean requestFirst) {
        long slotBytes = 3 * SLOT;
        // slots per layer x layers: split by layer, or one pool of that size (the simulator's global mode)
        long budget = (long) slots * t.numLayers() * slotBytes;
        try (TieredExpertStore s = TieredExpertStore.builder(storeDir).hostBudget(budget).fastBudget(budget).topK(t.topK())
                .perLayer(perLayer).policies(p, p).loaderThreads(1).build()) {
            for (TraceStep step : t.steps()) {
                s.beginStep(step.token());
                List<ExpertHandle> held = new ArrayList<>();
                if (requestFirst) {
                    s.request(step.layer(), step.experts());
                }
                for (int e : step.experts()) {
                    held.add(s.acquire(step.layer(), e));
                }
                held.forEach(ExpertHandle::close);
            }
            StoreStats st = s.stats();
            assertEquals(t.numRequests(), st.acquires());
            return st.served(Tier.SSD);
        }
    }

    @Test
    void lruAndLfuMissesMatchTheSimulatorOnTinyMoeTrace() {
        RoutingTrace t = TraceReader.read(TestData.repo("models/tiny-moe/traces/hacker-lore.jsonl"), 0);
        Path store = StoreTestData.write(dir.resolve("store"), t.numLayers(), t.numExperts(), 8, 8);
        for (boolean perLayer : new boolean[] {true, false}) {
            for (int slots = t.topK(); slots <= 5; slots++) {
                for (Supplier<EvictionPolicy> p : List.<Supplier<EvictionPolicy>>of(LruPolicy::new, LfuPolicy::new)) {
                    TraceReplay.Result sim = TraceReplay.simulate(t, p.get(), slots, !perLayer, 0);
                    long misses = storeMisses(store, t, slots, perLayer, p);
                    assertEquals(sim.requests() - sim.hits(), misses, p.get().name() + " at " + slots + " slots, per layer "
                            + perLayer);
                }
            }
        }
    }

    /** The engine requests a layer's experts before acquiring them: the store then protects the whole step (--pin step). */
    @Test
    void requestedStepsMatchTheSimulatorsStepPinning() {
        RoutingTrace t = TraceReader.read(TestData.repo("models/tiny-moe/traces/hacker-lore.jsonl"), 0);
        Path store = StoreTestData.write(dir.resolve("store"), t.numLayers(), t.numExperts(), 8, 8);
        int differ = 0;
        for (boolean perLayer : new boolean[] {true, false}) {
            for (int slots = t.topK(); slots <= 5; slots++) {
                for (Supplier<EvictionPolicy> p : List.<Supplier<EvictionPolicy>>of(LruPolicy::new, LfuPolicy::new)) {
                    TraceReplay.Result step = TraceReplay.simulate(t, p.get(), slots, !perLayer, TraceReplay.Pinning.STEP, 0, Integer.MAX_VALUE);
                    TraceReplay.Result served = TraceReplay.simulate(t, p.get(), slots, !perLayer, 0);
                    long misses = storeMisses(store, t, slots, perLayer, p, true);
                    assertEquals(step.requests() - step.hits(), misses, p.get().name() + " at " + slots + " slots, per layer " + perLayer);
                    if (step.hits() != served.hits()) differ++;
                }
            }
        }
        assertTrue(differ > 0, "the trace has steps where the two pinnings differ");
    }

    /**
     * Every baseline, built by name as the store builds it, loads exactly the simulator's misses: acquiring one
     * expert at a time (served pinning) and, except ARC, announcing the step first (step pinning). ARC's lists depend
     * on the order of requests and loads within a step, which differs there (the store loads the announced misses
     * before it acquires the step's hits; see ArcPolicy): within 10 %, not equal.
     */
    @Test
    void everyBaselineMatchesTheSimulator() {
        RoutingTrace t = TraceReader.read(TestData.repo("models/tiny-moe/traces/hacker-lore.jsonl"), 0);
        Path store = StoreTestData.write(dir.resolve("store"), t.numLayers(), t.numExperts(), 8, 8);
        for (boolean perLayer : new boolean[] {true, false}) {
            for (int slots = t.topK(); slots <= 4; slots++) {
                for (String name : Policies.BASELINES) {
                    Supplier<EvictionPolicy> p = Policies.online(name, perLayer);
                    String where = name + " at " + slots + " slots, per layer " + perLayer;
                    TraceReplay.Result served = TraceReplay.simulate(t, p.get(), slots, !perLayer, 0);
                    assertEquals(served.requests() - served.hits(), storeMisses(store, t, slots, perLayer, p), where);
                    TraceReplay.Result step = TraceReplay.simulate(t, p.get(), slots, !perLayer, TraceReplay.Pinning.STEP, 0, Integer.MAX_VALUE);
                    long misses = storeMisses(store, t, slots, perLayer, p, true);
                    long sim = step.requests() - step.hits();
                    if (name.equals("arc")) {
                        assertTrue(Math.abs(misses - sim) <= 0.10 * sim, where + ": store " + misses + ", replay " + sim);
                    } else {
                        assertEquals(sim, misses, where);
                    }
                }
            }
        }
    }
}
