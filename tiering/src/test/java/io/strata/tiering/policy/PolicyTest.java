// Eviction policies against hand-checked sequences and Belady's bound.
package io.strata.tiering.policy;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.tiering.ExpertKey;
import io.strata.tiering.TestData;
import io.strata.tiering.replay.TraceReplay;
import io.strata.tiering.trace.RoutingTrace;
import io.strata.tiering.trace.TraceReader;
import io.strata.tiering.trace.TraceStep;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyTest {
    // A=0 B=1 C=2; capacity 2; requests A B A C B A.
    private static final RoutingTrace ABACBA = TestData.sequence(3, 0, 1, 0, 2, 1, 0);

    @Test
    void lruHandChecked() {
        // A- B- A+ C-(evict B) B-(evict A) A-(evict C): 1 hit.
        assertEquals(1, TraceReplay.simulate(ABACBA, new LruPolicy(), 2, false, 0).hits());
        // capacity 3 holds everything: hits are the repeats A, B, A.
        assertEquals(3, TraceReplay.simulate(ABACBA, new LruPolicy(), 3, false, 0).hits());
    }

    @Test
    void lfuHandChecked() {
        // A1 B1 A2(hit) C-(evict B: 1 < 2) B-(evict C: C1 < A2) A3(hit): 2 hits.
        assertEquals(2, TraceReplay.simulate(ABACBA, new LfuPolicy(), 2, false, 0).hits());
    }

    @Test
    void lfuAgingHalvesCountsEveryHalfLife() {
        ExpertKey a = new ExpertKey(0, 0), b = new ExpertKey(0, 1);
        LfuPolicy noAging = new LfuPolicy();
        LfuPolicy aging = new LfuPolicy(4);
        assertEquals("lfu", noAging.name());
        assertEquals("lfu-aging", aging.name());
        long t = 0;
        for (ExpertKey k : List.of(a, a, a, b, b)) {
            noAging.onAccess(k, t);
            aging.onAccess(k, t++);
        }
        assertEquals(3.0, noAging.count(a));
        assertEquals(2.0, noAging.count(b));
        assertEquals(b, noAging.chooseVictim(List.of(a, b), 5));
        // Token 4 starts the second half-life: A 3 -> 1.5, B 1 -> 0.5, then B's request: 1.5. Tie -> least recent = A.
        assertEquals(1.5, aging.count(a));
        assertEquals(1.5, aging.count(b));
        assertEquals(a, aging.chooseVictim(List.of(a, b), 5));
        // Two half-lives later (token 12) both are quartered: still tied.
        assertEquals(b, noAging.chooseVictim(List.of(a, b), 12));
        assertEquals(a, aging.chooseVictim(List.of(a, b), 12));
        assertEquals(0.375, aging.count(a));
        assertThrows(IllegalArgumentException.class, () -> new LfuPolicy(-1));
    }

    @Test
    void lrfuSpansLfuAndLru() {
        // A at tokens 0 and 1, B at token 2; at token 3 one of them must go.
        ExpertKey a = new ExpertKey(0, 0), b = new ExpertKey(0, 1);
        List<ExpertKey> both = List.of(a, b);
        LrfuPolicy lfu = new LrfuPolicy(0), mid = new LrfuPolicy(0.5), lru = new LrfuPolicy(1);
        for (LrfuPolicy p : List.of(lfu, mid, lru)) {
            p.onAccess(a, 0);
            p.onAccess(a, 1);
            p.onAccess(b, 2);
        }
        // λ = 0: CRF = counts, A 2 > B 1: B goes (LFU).
        assertEquals(b, lfu.chooseVictim(both, 3));
        // λ = 1/2: A 2^-1.5 + 2^-1 = 0.854, B 2^-0.5 = 0.707: B goes.
        assertEquals(Math.log(Math.pow(2, -1.5) + Math.pow(2, -1)) / Math.log(2), mid.log2Crf(a, 3), 1e-12);
        assertEquals(-0.5, mid.log2Crf(b, 3), 1e-12);
        assertEquals(b, mid.chooseVictim(both, 3));
        // λ = 1: A 2^-3 + 2^-2 = 0.375 < B 2^-1 = 0.5: A goes (LRU).
        assertEquals(a, lru.chooseVictim(both, 3));
        // Replayed: on A A B C A (capacity 2) λ = 0 keeps A (2 hits), λ = 1 evicts it at C (1 hit), as LFU and LRU.
        RoutingTrace t = TestData.sequence(3, 0, 0, 1, 2, 0);
        assertEquals(2, TraceReplay.simulate(t, new LrfuPolicy(0), 2, false, 0).hits());
        assertEquals(1, TraceReplay.simulate(t, new LrfuPolicy(1), 2, false, 0).hits());
        assertEquals(1, TraceReplay.simulate(t, new LruPolicy(), 2, false, 0).hits());
        assertThrows(IllegalArgumentException.class, () -> new LrfuPolicy(1.5));
    }

    @Test
    void arcHandChecked() {
        // A A B C A B C, capacity 2.
        // ARC: A -> T1; A hit -> T2; B -> T1; C: |T1| = 1 > p = 0, evict T1's B (ghost B1); A hit;
        //      B hits ghost B1: p = 1, |T1| = 1 is not > p: evict T2's A; C hit. Hits: A, A, C = 3.
        // LRU: A, A hit, B, C evicts A, A evicts B, B evicts C, C evicts A: 1 hit.
        RoutingTrace t = TestData.sequence(3, 0, 0, 1, 2, 0, 1, 2);
        assertEquals(3, TraceReplay.simulate(t, new ArcPolicy(true), 2, false, 0).hits());
        assertEquals(1, TraceReplay.simulate(t, new LruPolicy(), 2, false, 0).hits());
        ArcPolicy arc = new ArcPolicy(true);
        TraceReplay.simulate(t, arc, 2, false, 0);
        assertEquals(1.0, arc.target(new ExpertKey(0, 0)));
        // Per layer: layer 1's ARC is untouched by layer 0's ghost hit.
        assertEquals(0.0, arc.target(new ExpertKey(1, 0)));
    }

    @Test
    void leastStaleEvictsTheLargestExpectedResidual() {
        // A at tokens 0, 4, 8 (reuse distances 4, 4); B at 5, 6, 7 (1, 1). Layer histogram {1: 2, 4: 2}, prior weight
        // 2 / 4. At token 10: A (age 2) has mass beyond its age 2 (own) + 0.5 × 2 (layer) at distance 4: residual 2.
        // B (age 3): only the layer's 0.5 × 2 at distance 4: residual 1. A goes, though B is the least recent (LRU).
        ExpertKey a = new ExpertKey(0, 0), b = new ExpertKey(0, 1), c = new ExpertKey(0, 2);
        LeastStalePolicy p = new LeastStalePolicy();
        LruPolicy lru = new LruPolicy();
        for (long[] r : new long[][] {{0, 0}, {0, 4}, {1, 5}, {1, 6}, {1, 7}, {0, 8}}) {
            ExpertKey k = r[0] == 0 ? a : b;
            p.onAccess(k, r[1]);
            lru.onAccess(k, r[1]);
        }
        assertEquals(2.0, p.expectedResidual(a, 10), 1e-12);
        assertEquals(1.0, p.expectedResidual(b, 10), 1e-12);
        assertEquals(a, p.chooseVictim(List.of(a, b), 10));
        assertEquals(b, lru.chooseVictim(List.of(a, b), 10));
        // Idle longer than any distance seen (age 12 > 4): age + 1 + the longest distance = 17, ahead of A.
        assertEquals(12 + 1 + 4, p.expectedResidual(b, 19), 1e-12);
        // Never requested: first to go.
        assertEquals(Double.POSITIVE_INFINITY, p.expectedResidual(c, 10));
        assertEquals(c, p.chooseVictim(List.of(a, c, b), 10));
    }

    @Test
    void policiesByNameWithParameters() {
        assertEquals("lfu", Policies.online("lfu", true).get().name());
        assertEquals(0, ((LfuPolicy) Policies.online("lfu", true).get()).halfLife());
        assertEquals(LfuPolicy.DEFAULT_HALF_LIFE, ((LfuPolicy) Policies.online("lfu-aging", true).get()).halfLife());
        assertEquals(32, ((LfuPolicy) Policies.online("lfu-aging:32", true).get()).halfLife());
        assertEquals(0.25, ((LrfuPolicy) Policies.online("lrfu:0.25", true).get()).lambda());
        for (String n : Policies.ONLINE) {
            EvictionPolicy p = Policies.online(n, false).get();
            assertEquals(n, p.name());
            assertNotSame(p, Policies.online(n, false).get()); // a fresh instance per tier
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Policies.online("mru", true));
        assertTrue(e.getMessage().contains("'mru'") && e.getMessage().contains("least-stale"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Policies.online("lrfu:2", true));
        assertTrue(e.getMessage().contains("[0.0, 1.0]") && e.getMessage().contains("found 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Policies.online("lfu-aging:x", true));
        assertTrue(e.getMessage().contains("expected an integer"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Policies.online("arc:3", true));
    }

    @Test
    void beladyHandChecked() {
        // A- B- A+ C-(next uses: B at 4, A at 5 -> evict A) B+ A-: 2 hits.
        assertEquals(2, TraceReplay.simulate(ABACBA, new BeladyPolicy(TraceReplay.requests(ABACBA)), 2, false, 0).hits());
    }

    @Test
    void beladyRejectsAReplayOutOfStep() {
        BeladyPolicy p = new BeladyPolicy(TraceReplay.requests(ABACBA));
        p.onAccess(new ExpertKey(0, 0), 0);
        assertThrows(IllegalStateException.class, () -> p.onAccess(new ExpertKey(0, 2), 1));
    }

    @Test
    void globalPoolLetsOneLayerUseMoreSlots() {
        // Layer 0 cycles 3 experts, layer 1 always expert 0: per-layer 2 slots thrash layer 0;
        // a global pool of 4 holds layer 0's three and layer 1's one.
        List<TraceStep> steps = new ArrayList<>();
        for (int t = 0; t < 30; t++) {
            steps.add(new TraceStep(t, 0, new int[] {t % 3}, new float[0]));
            steps.add(new TraceStep(t, 1, new int[] {0}, new float[0]));
        }
        RoutingTrace tr = new RoutingTrace("g", 2, 3, 1, steps);
        assertEquals(29, TraceReplay.simulate(tr, new LruPolicy(), 2, false, 0).hits()); // layer 0 never hits
        assertEquals(60 - 4, TraceReplay.simulate(tr, new LruPolicy(), 2, true, 0).hits());
    }

    @Test
    void stepPinningKeepsTheStepsResidentExpertsForTheStep() {
        // Capacity 2, LRU. Token 0 {1}, token 1 {0}, token 2 {2, 1}: expert 1 is resident and least recent.
        List<TraceStep> steps = List.of(new TraceStep(0, 0, new int[] {1}, new float[0]),
                new TraceStep(1, 0, new int[] {0}, new float[0]), new TraceStep(2, 0, new int[] {2, 1}, new float[0]));
        RoutingTrace t = new RoutingTrace("pin", 1, 3, 2, steps);
        // Served: loading 2 evicts 1 (not yet served, least recent), then 1 misses: no hit.
        assertEquals(0, TraceReplay.simulate(t, new LruPolicy(), 2, false, TraceReplay.Pinning.SERVED, 0, 3).hits());
        // Step: 1 is protected, loading 2 evicts 0, 1 hits.
        assertEquals(1, TraceReplay.simulate(t, new LruPolicy(), 2, false, TraceReplay.Pinning.STEP, 0, 3).hits());
        // Counting window [2, 3): the two requests of token 2 only.
        assertEquals(2, TraceReplay.simulate(t, new LruPolicy(), 2, false, TraceReplay.Pinning.STEP, 2, 3).requests());
    }

    private static void assertBeladyBounds(RoutingTrace t, int maxSlots, double holdout) {
        assertBeladyBounds(t, t.topK(), maxSlots, holdout, new boolean[] {false, true});
    }

    private static void assertBeladyBounds(RoutingTrace t, int minSlots, int maxSlots, double holdout, boolean[] modes) {
        LearnedPolicy.Model m = LearnedPolicy.train(t, holdout > 0 ? t.splitToken(holdout) : t.numTokens(),
                LearnedPolicy.Options.defaults());
        int from = holdout > 0 ? t.splitToken(holdout) : 0;
        for (TraceReplay.Pinning pin : TraceReplay.Pinning.values()) {
            for (boolean global : modes) {
                for (int slots = minSlots; slots <= maxSlots; slots++) {
                    long belady = TraceReplay.simulate(t, new BeladyPolicy(TraceReplay.requests(t)), slots, global, pin,
                            from, Integer.MAX_VALUE).hits();
                    List<EvictionPolicy> all = new ArrayList<>(List.of(new RandomPolicy(3), new LearnedPolicy(m),
                            new NextTokenOraclePolicy(t.steps(), t.numLayers())));
                    for (String n : Policies.BASELINES) {
                        all.add(Policies.online(n, !global).get());
                    }
                    for (EvictionPolicy p : all) {
                        long h = TraceReplay.simulate(t, p, slots, global, pin, from, Integer.MAX_VALUE).hits();
                        assertTrue(belady >= h, p.name() + " " + h + " > belady " + belady + " at " + slots + " slots, global "
                                + global + ", pinning " + pin + ", trace " + t.model());
                    }
                }
            }
        }
    }

    /** Wraps a policy and records (time, victim) of every eviction. */
    private static final class Recording implements EvictionPolicy {
        final EvictionPolicy inner;
        final List<String> victims = new ArrayList<>();

        Recording(EvictionPolicy inner) {
            this.inner = inner;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public void onRouting(int layer, int[] experts, float[] weights, long time) {
            inner.onRouting(layer, experts, weights, time);
        }

        @Override
        public void onAccess(ExpertKey key, long time) {
            inner.onAccess(key, time);
        }

        @Override
        public void onInsert(ExpertKey key, long time) {
            inner.onInsert(key, time);
        }

        @Override
        public void onEvict(ExpertKey key) {
            inner.onEvict(key);
        }

        @Override
        public ExpertKey chooseVictim(List<ExpertKey> candidates, long time) {
            ExpertKey v = inner.chooseVictim(candidates, time);
            victims.add(time + ":" + v);
            return v;
        }

        List<String> upTo(long time) {
            return victims.stream().filter(s -> Long.parseLong(s.substring(0, s.indexOf(':'))) <= time).toList();
        }
    }

    /** {@code t} with every step from token {@code from} on replaced by other random routing. */
    private static RoutingTrace perturbedFrom(RoutingTrace t, int from, long seed) {
        RoutingTrace other = TestData.random(seed, t.numLayers(), t.numExperts(), t.topK(), t.numTokens());
        List<TraceStep> steps = new ArrayList<>(t.tokens(0, from));
        steps.addAll(other.tokens(from, t.numTokens()));
        return new RoutingTrace(t.model(), t.numLayers(), t.numExperts(), t.topK(), steps);
    }

    @Test
    void learnedPolicyNeverSeesTheFuture() {
        RoutingTrace t = TestData.random(11, 3, 8, 2, 200);
        RoutingTrace u = perturbedFrom(t, 120, 99);
        assertNotEquals(t.steps(), u.steps());
        // Training on tokens < 100 must not read beyond them: identical weights from both traces.
        LearnedPolicy.Model m = LearnedPolicy.train(t, 100, LearnedPolicy.Options.defaults());
        LearnedPolicy.Model mu = LearnedPolicy.train(u, 100, LearnedPolicy.Options.defaults());
        assertArrayEquals(m.shared().w1(), mu.shared().w1());
        assertEquals(m.shared().b2(), mu.shared().b2());
        // Replay: every eviction up to token 119 is the same whatever comes after.
        for (TraceReplay.Pinning pin : TraceReplay.Pinning.values()) {
            for (int slots = 3; slots <= 5; slots++) {
                Recording a = new Recording(new LearnedPolicy(m));
                Recording b = new Recording(new LearnedPolicy(m));
                TraceReplay.simulate(t, a, slots, false, pin, 0, Integer.MAX_VALUE);
                TraceReplay.simulate(u, b, slots, false, pin, 0, Integer.MAX_VALUE);
                assertFalse(a.upTo(119).isEmpty());
                assertEquals(a.upTo(119), b.upTo(119), "slots " + slots + ", pinning " + pin);
                // The future does change later decisions (the test can tell traces apart).
                assertNotEquals(a.victims, b.victims);
            }
        }
    }

    @Test
    void savedWeightsGiveTheSameEvictions(@TempDir Path dir) {
        RoutingTrace t = TestData.random(5, 4, 8, 2, 160);
        LearnedPolicy.Model m = LearnedPolicy.train(t, 80, LearnedPolicy.Options.defaults());
        Path f = dir.resolve("m.json");
        m.save(f);
        LearnedPolicy.Model back = LearnedPolicy.Model.load(f);
        Recording a = new Recording(new LearnedPolicy(m));
        Recording b = new Recording(new LearnedPolicy(back));
        TraceReplay.simulate(t, a, 4, false, TraceReplay.Pinning.STEP, 0, Integer.MAX_VALUE);
        TraceReplay.simulate(t, b, 4, false, TraceReplay.Pinning.STEP, 0, Integer.MAX_VALUE);
        assertTrue(a.victims.size() > 50, "evictions " + a.victims.size());
        assertEquals(a.victims, b.victims);
    }

    @Test
    void beladyBoundsEveryPolicyOnRandomTraces() {
        for (long seed = 1; seed <= 4; seed++) {
            assertBeladyBounds(TestData.random(seed, 3, 8 + (int) seed * 4, 1 + (int) (seed % 3), 150), 6, 0);
        }
    }

    @Test
    void beladyBoundsEveryPolicyOnTinyMoeTraces() {
        for (String name : List.of("hacker-lore", "quotes-en", "quotes-de", "quotes-es", "scripture")) {
            Path p = TestData.repo("models/tiny-moe/traces/" + name + ".jsonl");
            assertBeladyBounds(TraceReader.read(p, 0), 6, 0);
        }
    }

    @Test
    void beladyBoundsEveryPolicyOnMixtralTrace() {
        RoutingTrace t = TraceReader.read(TestData.shared("data/traces/mixtral-8x7b-instruct.active_experts.txt"), 32);
        // Two sizes, per-layer caches: the whole grid replays the 25k-step trace ~200 times (too slow for the suite).
        assertBeladyBounds(t, 3, 4, 0.5, new boolean[] {false});
    }

    /** Three experts recur every 3 tokens; a scan over 13 others recurs every 13: keep the three. */
    static RoutingTrace structured(int tokens) {
        List<TraceStep> steps = new ArrayList<>();
        for (int t = 0; t < tokens; t++) {
            steps.add(new TraceStep(t, 0, new int[] {t % 3, 3 + (t % 13)}, new float[] {0.6f, 0.4f}));
        }
        return new RoutingTrace("structured", 1, 16, 2, steps);
    }

    @Test
    void learnedBeatsRandomAndLruOnStructuredTrace(@TempDir Path dir) {
        RoutingTrace t = structured(1200);
        int split = t.splitToken(0.5);
        LearnedPolicy.Model m = LearnedPolicy.train(t, split, LearnedPolicy.Options.defaults());
        double learned = TraceReplay.simulate(t, new LearnedPolicy(m), 4, false, split).hitRate();
        double random = TraceReplay.simulate(t, new RandomPolicy(7), 4, false, split).hitRate();
        double lru = TraceReplay.simulate(t, new LruPolicy(), 4, false, split).hitRate();
        // Keeping the three short-cycle experts hits every one of their requests: 0.5 of all requests.
        assertTrue(learned >= 0.49, "learned " + learned);
        assertTrue(learned > random + 0.1, "learned " + learned + " random " + random);
        assertTrue(learned > lru, "learned " + learned + " lru " + lru);
        // The ranking-loss variant learns the same structure.
        LearnedPolicy.Model pw = LearnedPolicy.train(t, split, LearnedPolicy.Options.defaults().withPairwise(true));
        double pairwise = TraceReplay.simulate(t, new LearnedPolicy(pw), 4, false, split).hitRate();
        assertTrue(pairwise >= 0.49, "pairwise " + pairwise);
        // Saved weights load back and make the same decisions.
        Path f = dir.resolve("learned.json");
        m.save(f);
        double again = TraceReplay.simulate(t, new LearnedPolicy(LearnedPolicy.Model.load(f)), 4, false, split).hitRate();
        assertEquals(learned, again);
    }

    private static TraceStep step(int token, int... experts) {
        return new TraceStep(token, 0, experts, new float[0]);
    }

    @Test
    void nextTokenOracleSeesOnlyItsWindowAndFallsBackToLfu() {
        // One layer: tokens 0..6 use {0}, {0}, {1}, {2}, {2}, {1}, {0}. At token 3 the cache {0, 1} must take 2.
        List<TraceStep> steps = List.of(step(0, 0), step(1, 0), step(2, 1), step(3, 2), step(4, 2), step(5, 1),
                step(6, 0));
        ExpertKey e0 = new ExpertKey(0, 0);
        ExpertKey e1 = new ExpertKey(0, 1);
        ExpertKey e2 = new ExpertKey(0, 2);
        // Window 1 (token 4 only): neither 0 (next at 6) nor 1 (next at 5) is seen; 1 has fewer uses (1 < 2).
        NextTokenOraclePolicy near = new NextTokenOraclePolicy(steps, 1);
        // Window 3 (tokens 4..6): both are seen; the one needed last (0, at token 6) goes, as with Belady.
        NextTokenOraclePolicy far = new NextTokenOraclePolicy(steps, 3);
        BeladyPolicy belady = new BeladyPolicy(TraceReplay.requests(new RoutingTrace("t", 1, 3, 1, steps)));
        for (EvictionPolicy p : List.<EvictionPolicy>of(near, far, belady)) {
            p.onAccess(e0, 0);
            p.onAccess(e0, 1);
            p.onAccess(e1, 2);
            p.onAccess(e2, 3);
        }
        assertEquals(e1, near.chooseVictim(List.of(e0, e1), 3));
        assertEquals(e0, far.chooseVictim(List.of(e0, e1), 3));
        assertEquals(e0, belady.chooseVictim(List.of(e0, e1), 3));
        // Out of step with its plan: refused.
        assertThrows(IllegalStateException.class, () -> near.onAccess(e0, 4));
    }

    @Test
    void replayReportsTheTwoBoundsUnderTheirNames() {
        RoutingTrace t = TestData.random(21, 3, 8, 2, 120);
        TraceReplay.Report r = TraceReplay.run(t, List.of("lfu", "learned", "learned-insample", "next-token-oracle", "belady"),
                new int[] {3, 4}, false, TraceReplay.Pinning.STEP, 0.5, null, LearnedPolicy.Options.defaults(), 1);
        for (int slots : new int[] {3, 4}) {
            double belady = r.hitRate("belady", slots);
            for (String p : List.of("lfu", "learned", "learned-insample", "next-token-oracle")) {
                assertFalse(Double.isNaN(r.hitRate(p, slots)), p);
                assertTrue(r.hitRate(p, slots) <= belady, p + " above belady at " + slots);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TraceReplay.run(t,
                List.of("lru", "mru"), new int[] {3}, false, TraceReplay.Pinning.STEP, 0, null,
                LearnedPolicy.Options.defaults(), 1));
        assertTrue(e.getMessage().contains("'mru'") && e.getMessage().contains("next-token-oracle"), e.getMessage());
    }

    @Test
    void learnedSelectionChoosesOnTheTrainingTokensOnly() {
        RoutingTrace t = TestData.random(13, 2, 8, 2, 160);
        RoutingTrace u = perturbedFrom(t, 80, 5);
        int[] slots = {3, 4};
        LearnedPolicy.Model m = io.strata.tiering.replay.LearnedSelection.train(t, 80, slots, TraceReplay.Pinning.STEP,
                false, LearnedPolicy.Options.defaults());
        LearnedPolicy.Model mu = io.strata.tiering.replay.LearnedSelection.train(u, 80, slots, TraceReplay.Pinning.STEP,
                false, LearnedPolicy.Options.defaults());
        assertEquals(m.choices(), mu.choices()); // tokens >= 80 play no part
        assertArrayEquals(m.shared().w1(), mu.shared().w1());
        assertEquals(2, m.choices().size());
        for (LearnedPolicy.Choice c : m.choices()) {
            assertEquals(1 + Policies.BASELINES.size(), c.innerHitRates().size());
            double best = c.innerHitRates().values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            assertEquals(best, c.innerHitRates().get(c.policy()), c.toString());
            // The policy built for that size runs the choice.
            LearnedPolicy p = new LearnedPolicy(m, "learned", m.choiceFor(c.slots(), "step", false), true);
            assertEquals(c.policy().equals(LearnedPolicy.Choice.MLP) ? "mlp" : c.policy(), p.running());
        }
        assertEquals(LearnedPolicy.Choice.MLP, m.choiceFor(7, "step", false)); // not chosen for: the MLP
    }

    @Test
    void reportNamesTheBestBaselineAndTheGapClosed() {
        assertArrayEquals(new int[] {1, 2, 3, 4, 5}, TraceReplay.defaultSlots(8));
        assertArrayEquals(new int[] {8, 16, 32}, TraceReplay.defaultSlots(64));
        assertArrayEquals(new int[] {16, 32, 64}, TraceReplay.defaultSlots(128));
        RoutingTrace t = TestData.random(17, 2, 8, 2, 120);
        TraceReplay.Report r = TraceReplay.run(t, List.of("lru", "lfu", "least-stale", "learned", "belady"),
                new int[] {2, 4}, false, TraceReplay.Pinning.STEP, 0.5, null, LearnedPolicy.Options.defaults(), 1);
        TraceReplay.Gap g4 = r.gaps().get(1);
        assertEquals(4, g4.slots());
        double best = Math.max(r.hitRate("lru", 4), Math.max(r.hitRate("lfu", 4), r.hitRate("least-stale", 4)));
        assertEquals(best, g4.bestBaselineHitRate());
        assertEquals(best, r.hitRate(g4.bestBaseline(), 4));
        assertEquals((r.hitRate("learned", 4) - best) / (r.hitRate("belady", 4) - best), g4.gapClosed(), 1e-12);
        // 2 slots = top-2 under step pinning: every policy equal, no gap.
        assertTrue(Double.isNaN(r.gaps().get(0).gapClosed()));
    }
}
