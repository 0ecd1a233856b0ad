// The oracle predictor: exact lookups on hand-made routing, and a rerun of the same prompts routes as recorded.
package io.strata.bench.predict;

import io.strata.engine.predict.*;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.engine.api.StrataModel;
import io.strata.engine.backend.KvCache;
import io.strata.engine.generate.Sampler;
import io.strata.engine.synth.SyntheticCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OraclePredictorTest {
    /**
     * 4 layers (layer 0 dense), hidden 2, 5 experts, top-2; two sequences of 2 tokens whose router inputs are
     * (seq, token, layer)-specific, except token 0 of both sequences, which is identical (a shared first token).
     */
    static RoutingDataset handMade() {
        boolean[] moe = {false, true, true, true};
        float[][][] h1 = {
            {null, {1, 0}, {2, 0}, {3, 0}},
            {null, {1, 1}, {2, 1}, {3, 1}},
        };
        int[][][] e1 = {
            {null, {0, 1}, {2, 3}, {4, 0}},
            {null, {1, 2}, {3, 4}, {0, 2}},
        };
        float[][][] h2 = {
            {null, {1, 0}, {2, 0}, {3, 0}},
            {null, {5, 5}, {6, 6}, {7, 7}},
        };
        int[][][] e2 = {
            {null, {0, 1}, {2, 3}, {4, 0}},
            {null, {4, 3}, {1, 0}, {3, 1}},
        };
        var s1 = new RoutingDataset.Sequence("one", h1, e1);
        var s2 = new RoutingDataset.Sequence("two", h2, e2);
        return new RoutingDataset(4, 5, 2, 2, moe, List.of(s1, s2));
    }

    @Test
    void returnsTheRecordedRoutesOfTheTargetLayerInRankOrder() {
        OraclePredictor p = OraclePredictor.of(handMade());
        assertEquals("oracle", p.name());
        assertEquals(4, p.numLayers());
        assertEquals(5, p.numExperts());
        // Token 0 is shared by both sequences: one key per layer; 3 MoE layers x (1 + 1 + 1) distinct tokens.
        assertEquals(9, p.indexed());

        // Sequence two, token 1: layer 1 input (5, 5) → layer 2 routes {1, 0}, layer 3 routes {3, 1}.
        assertArrayEquals(new float[] {1, 2, 0, 0, 0}, p.scores(1, 1, new float[] {5, 5}));
        assertArrayEquals(new int[] {1, 0}, p.predict(1, 1, new float[] {5, 5}, 2));
        assertArrayEquals(new int[] {3, 1}, p.predict(1, 2, new float[] {5, 5}, 2));
        // m < k keeps the first choices; m > k adds the others in id order after the routed ones.
        assertArrayEquals(new int[] {3}, p.predict(1, 2, new float[] {5, 5}, 1));
        assertArrayEquals(new int[] {3, 1, 0, 2}, p.predict(1, 2, new float[] {5, 5}, 4));
        // Sequence one, token 1, from layer 2's input (2, 1) → layer 3 routes {0, 2}.
        assertArrayEquals(new int[] {0, 2}, p.predict(2, 1, new float[] {2, 1}, 2));
        // The shared token 0: both sequences route the same, either answers.
        assertArrayEquals(new int[] {4, 0}, p.predict(1, 2, new float[] {1, 0}, 2));
        assertEquals(7, p.lookups());
        assertEquals(0, p.lookupFailures());
        assertEquals(0, p.nearMatches());

        // An input recorded at another layer is not known at this one; an unseen input gives equal scores.
        assertArrayEquals(new float[5], p.scores(2, 1, new float[] {5, 5}));
        // One ulp off in one component: not bit for bit, but well within the tolerance.
        assertArrayEquals(new int[] {1, 0}, p.predict(1, 1, new float[] {5, Math.nextUp(5f)}, 2));
        assertEquals(9, p.lookups());
        assertEquals(1, p.lookupFailures());
        assertEquals(1, p.nearMatches());
        OraclePredictor exact = OraclePredictor.of(handMade(), 0);
        assertArrayEquals(new int[] {0, 1}, exact.predict(1, 1, new float[] {5, Math.nextUp(5f)}, 2), "tolerance 0: bits or nothing");
        assertEquals(1, exact.lookupFailures());
        // A near match is the nearest recorded input, not the first within the tolerance: (1, 0.55) is 0.55 from
        // (1, 0) and 0.45 from (1, 1), both under 0.5 · ‖x‖ = 0.57; (1, 1) is token 1 of sequence one → {3, 4}.
        assertArrayEquals(new int[] {3, 4}, OraclePredictor.of(handMade(), 0.5).predict(1, 1, new float[] {1, 0.55f}, 2));

        assertTrue(p.covers(1, 2));
        assertFalse(p.covers(2, 2), "layer 4 does not exist");
        assertFalse(p.covers(3, 1), "past the last layer");
        assertFalse(p.covers(0, 1), "layer 0 is dense");
        assertFalse(p.covers(1, 0), "ahead ≥ 1");
        assertEquals(0, p.predict(3, 1, new float[] {3, 0}, 2).length);
        assertEquals(9, p.lookups(), "an uncovered pair looks nothing up");
        var e = assertThrows(IllegalArgumentException.class, () -> p.scores(1, 1, new float[3]));
        assertTrue(e.getMessage().contains("expected hidden of 2, found 3"), e.getMessage());
    }

    @Test
    void aRecordingWithoutAnMoeLayersRouteIsRejected() {
        RoutingDataset d = handMade();
        var broken = new RoutingDataset.Sequence("broken", new float[][][] {{null, {1, 0}, null, {3, 0}}},
                new int[][][] {{null, {0, 1}, null, {4, 0}}});
        var bad = new RoutingDataset(4, 5, 2, 2, d.moeLayer(), List.of(broken));
        var e = assertThrows(IllegalArgumentException.class, () -> OraclePredictor.of(bad));
        assertTrue(e.getMessage().contains("position 0 MoE layer 2"), e.getMessage());
    }

    /**
     * Records greedy runs of a synthetic 4-layer Mixtral with {@link RoutingRuns#recordIds}, then runs the same
     * prompts again: every router input of the second run must be found, and the oracle's top-k for L+1 and L+2
     * must be the second run's routes there (the determinism the oracle relies on). While the JIT warms up the
     * Vector API kernels change the last bits of some inputs, so some matches may be near ones, never failures.
     */
    @Test
    void aRerunOfTheSamePromptsRoutesAsTheOraclePredicts(@TempDir Path tmp) throws Exception {
        var spec = SyntheticCheckpoint.preset("tiny").withLayers(4);
        Path dir = SyntheticCheckpoint.write(spec, tmp.resolve("tiny"), null);
        // The first two share their first token: a duplicate key at position 0.
        List<int[]> prompts = List.of(new int[] {5, 17, 99, 3, 140}, new int[] {5, 201, 64}, new int[] {77, 12, 250, 31, 9, 160, 4});
        int gen = 6, k = spec.topK();
        try (StrataModel m = StrataModel.load(dir, io.strata.engine.api.EngineOptions.builder().backend("cpu").context(64).build())) {
            OraclePredictor p = OraclePredictor.of(RoutingRuns.recordIds(m, prompts, null, gen));

            RoutingRecorder rec = new RoutingRecorder(m.model().backend(), m.config());
            List<RoutingDataset.Sequence> again = new ArrayList<>();
            m.model().addObserver(rec);
            try {
                for (int[] ids : prompts) {
                    KvCache cache = m.model().newCache(ids.length + gen + 1);
                    float[] logits = m.model().forward(ids, 0, cache, false);
                    int pos = ids.length;
                    for (int g = 0; g < gen; g++) {
                        logits = m.model().forward(new int[] {Sampler.argmax(logits, 0, logits.length)}, pos++, cache, false);
                    }
                    again.add(rec.finish("again"));
                }
            } finally {
                m.model().removeObserver(rec);
            }

            int checked = 0;
            for (RoutingDataset.Sequence s : again) {
                for (int t = 0; t < s.tokens(); t++) {
                    for (int l = 0; l < spec.layers(); l++) {
                        for (int d = 1; d <= 2; d++) {
                            if (l + d >= spec.layers()) {
                                assertFalse(p.covers(l, d));
                                continue;
                            }
                            assertArrayEquals(s.experts()[t][l + d], p.predict(l, d, s.hidden()[t][l], k),
                                    "position " + t + ", layer " + l + " → " + (l + d));
                            checked++;
                        }
                    }
                }
            }
            // (5 + 3 + 7 prompt tokens + 3 x 6 decoded) positions x (3 + 2) (layer, distance) pairs.
            assertEquals((15 + 3 * gen) * 5, checked);
            assertEquals(checked, p.lookups());
            assertEquals(0, p.lookupFailures(), "every router input of the rerun repeats one of the recording (" + p.nearMatches()
                    + " not bit for bit)");
        }
    }
}
