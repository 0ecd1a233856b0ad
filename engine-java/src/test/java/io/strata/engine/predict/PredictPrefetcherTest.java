// The Prefetcher's calls into the store, checked against a recording fake store and a fixed predictor.
package io.strata.engine.predict;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.engine.backend.Buf;
import io.strata.engine.backend.cpu.CpuBackend;
import io.strata.tiering.ExpertHandle;
import io.strata.tiering.ExpertStore;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PredictPrefetcherTest {
    /** Records prefetch and cancel calls in order; acquire is not used here. */
    static final class FakeStore implements ExpertStore {
        final List<String> calls = new ArrayList<>();

        public int numLayers() {
            return 4;
        }

        public int numExperts() {
            return 4;
        }

        public ExpertHandle acquire(int layer, int expert) {
            throw new UnsupportedOperationException("not used");
        }

        @Override
        public void prefetch(int layer, int expert) {
            calls.add("prefetch " + layer + " " + expert);
        }

        @Override
        public void cancelPrefetch(int layer, int expert) {
            calls.add("cancel " + layer + " " + expert);
        }

        public void close() {}
    }

    /**
     * 4 MoE layers, 4 experts. For target layer T, a token whose hidden[0] is v predicts experts
     * (T + v) mod 4 and (T + v + 1) mod 4, best first, regardless of distance.
     */
    static final class ShiftPredictor implements ExpertPredictor {
        public String name() {
            return "shift";
        }

        public int numLayers() {
            return 4;
        }

        public int numExperts() {
            return 4;
        }

        public boolean covers(int layer, int ahead) {
            return ahead >= 1 && layer + ahead < 4;
        }

        public float[] scores(int layer, int ahead, float[] hidden) {
            int t = layer + ahead, v = (int) hidden[0];
            float[] s = new float[4];
            s[(t + v) % 4] = 2;
            s[(t + v + 1) % 4] = 1;
            return s;
        }
    }

    @Test
    void issuesNearestLayersFirstOncePerPassAndCancelsMisses() {
        CpuBackend be = new CpuBackend();
        FakeStore store = new FakeStore();
        Prefetcher p = new Prefetcher(store, new ShiftPredictor(), be, 2, 2, 2, 1000, null);
        Buf x = be.alloc(2); // one token, hidden 2: v = 0
        p.beforeRouting(0, 5, 1, x);
        assertEquals(List.of(), store.calls, "hints wait until the layer is routed");
        p.onRouted(0, 5, new int[][] {{0, 1}}, new float[][] {{.5f, .5f}});
        // layer 1: {1, 2}, then layer 2: {2, 3}
        assertEquals(List.of("prefetch 1 1", "prefetch 1 2", "prefetch 2 2", "prefetch 2 3"), store.calls);
        store.calls.clear();

        p.beforeRouting(1, 5, 1, x);
        p.onRouted(1, 5, new int[][] {{2, 0}}, new float[][] {{.5f, .5f}});
        // expert 1 of layer 1 was hinted but not routed: withdrawn; layer 2 already hinted {2, 3}; layer 3: {3, 0}
        assertEquals(List.of("cancel 1 1", "prefetch 3 3", "prefetch 3 0"), store.calls);
        store.calls.clear();

        // Two tokens at layer 2 (a prefill chunk looks like this): v = 0 → {3, 0}, v = 2 → {1, 2}; the first
        // choices 3 and 1 outvote the second ones (tie → lower id): {1, 3}; 3 is already out, so only 1 is new.
        Buf two = be.alloc(4);
        be.write(two, new float[] {0, 0, 2, 0}, 0, 4);
        p.beforeRouting(2, 5, 2, two);
        p.onRouted(2, 5, new int[][] {{2, 3}, {3, 2}}, new float[][] {{.5f, .5f}, {.5f, .5f}});
        assertEquals(List.of("prefetch 3 1"), store.calls, "both hints for layer 2 were used");
        store.calls.clear();
        p.beforeRouting(3, 5, 1, x);
        p.onRouted(3, 5, new int[][] {{0, 2}}, new float[][] {{.5f, .5f}});
        assertEquals(List.of("cancel 3 1", "cancel 3 3"), store.calls,
                "nothing lies beyond the last layer");
        store.calls.clear();

        // The next token is a new pass: layers 1 and 2 are hinted again.
        Prefetcher.Report afterPass1 = p.report();
        p.beforeRouting(0, 6, 1, x);
        p.onRouted(0, 6, new int[][] {{0, 1}}, new float[][] {{.5f, .5f}});
        assertEquals(List.of("prefetch 1 1", "prefetch 1 2", "prefetch 2 2", "prefetch 2 3"), store.calls);

        Prefetcher.Report r = p.report();
        // Pass 1 hints: layer 1 {1,2} (used 2), layer 2 {2,3} (used 2,3), layer 3 {3,0,1} (used 0); pass 2 adds 4.
        Prefetcher.LayerStats l1 = r.layers().stream().filter(s -> s.layer() == 1).findFirst().orElseThrow();
        assertEquals(4, l1.issued());
        assertEquals(1, l1.used());
        assertEquals(2, l1.routed());
        assertEquals(1000, l1.wastedBytes());
        Prefetcher.LayerStats l3 = r.layers().stream().filter(s -> s.layer() == 3).findFirst().orElseThrow();
        assertEquals(3, l3.issued());
        assertEquals(1, l3.used());
        assertEquals(2000, l3.wastedBytes());
        assertEquals(4, r.total().used(), "1 (layer 1) + 2 (layer 2) + 1 (layer 3)");
        assertEquals(-1, r.total().stallNanos(), "the fake store keeps no statistics");
        Prefetcher.Report pass2 = r.minus(afterPass1);
        assertEquals(4, pass2.total().issued(), "pass 2 hinted layers 1 and 2, two each");
        assertEquals(0, pass2.total().used());
        assertEquals(2, pass2.layers().stream().filter(s -> s.layer() == 1).findFirst().orElseThrow().issued());
        assertEquals(r.total().issued(), afterPass1.plus(pass2).total().issued());
        be.close();
    }

    @Test
    void prefillTokensVoteWithinTheCap() {
        CpuBackend be = new CpuBackend();
        FakeStore store = new FakeStore();
        Prefetcher p = new Prefetcher(store, new ShiftPredictor(), be, 2, 1, 2, 1, 1000, null);
        Buf two = be.alloc(4);
        be.write(two, new float[] {0, 0, 1, 0}, 0, 4);
        p.beforeRouting(0, 0, 2, two);
        p.onRouted(0, 0, new int[][] {{0, 1}, {1, 0}}, new float[][] {{.5f, .5f}, {.5f, .5f}});
        // layer 1: v = 0 → {1, 2}, v = 1 → {2, 3}; one hint allowed: expert 2, which both tokens predicted
        assertEquals(List.of("prefetch 1 2"), store.calls);
        be.close();
    }
}
