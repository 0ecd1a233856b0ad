// Precision/recall arithmetic of HitCounts and PredictorEval on hand-checked cases.
package io.strata.bench.predict;

import io.strata.engine.predict.*;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PredictMetricsTest {
    @Test
    void hitCountsByHand() {
        HitCounts c = new HitCounts();
        c.add(new int[] {1, 2, 3}, new int[] {2, 3});   // 2 hits of 3 predicted, 2 routed
        assertEquals(2, c.hits());
        assertEquals(2.0 / 3, c.precision(), 1e-12);
        assertEquals(1.0, c.recall(), 1e-12);
        c.add(new int[] {0, 0}, new int[] {4, 5});      // duplicate id counts once: 0 hits, 1 predicted, 2 routed
        assertEquals(2, c.hits());
        assertEquals(4, c.predicted());
        assertEquals(4, c.actual());
        assertEquals(0.5, c.precision(), 1e-12);
        assertEquals(0.5, c.recall(), 1e-12);
        assertTrue(Double.isNaN(new HitCounts().precision()));
    }

    /** A predictor that always answers the same experts for a target layer. */
    record Fixed(int[][] byTarget) implements ExpertPredictor {
        public String name() {
            return "fixed";
        }

        public int numLayers() {
            return byTarget.length;
        }

        public int numExperts() {
            return 4;
        }

        public boolean covers(int layer, int ahead) {
            return layer + ahead < byTarget.length;
        }

        public float[] scores(int layer, int ahead, float[] hidden) {
            float[] s = new float[4];
            int[] ids = byTarget[layer + ahead];
            for (int j = 0; j < ids.length; j++) s[ids[j]] = 10 - j;
            return s;
        }
    }

    @Test
    void evalCountsPerTargetLayerAndDepth() {
        // 3 layers, 4 experts, top-2, 2 tokens. Routes [token][layer].
        int[][][] ex = {
            {{0, 1}, {2, 3}, {0, 2}},
            {{1, 2}, {3, 0}, {1, 3}},
        };
        float[][][] h = new float[2][3][1];
        RoutingDataset d = new RoutingDataset(3, 4, 2, 1, new boolean[] {true, true, true},
                List.of(new RoutingDataset.Sequence("s", h, ex)));
        // Predicts {2, 3} for layer 1 and {0, 1} for layer 2, whatever the input.
        Fixed p = new Fixed(new int[][] {{}, {2, 3}, {0, 1}});
        PredictorEval.Report r = PredictorEval.run(List.of(p), new int[] {1, 2}, 2, d, d.sequences());
        // depth 1: layer 1 ← 0: token 0 {2,3} vs {2,3} = 2 hits, token 1 vs {3,0} = 1 hit;
        //          layer 2 ← 1: token 0 {0,1} vs {0,2} = 1, token 1 vs {1,3} = 1. Total 5 of 8.
        // depth 2: layer 2 ← 0: same as above, 2 of 4.
        PredictorEval.Row d1 = r.totals().get(0), d2 = r.totals().get(1);
        assertEquals(1, d1.depth());
        assertEquals(5, d1.hits());
        assertEquals(8, d1.predicted());
        assertEquals(8, d1.actual());
        assertEquals(5.0 / 8, d1.recall(), 1e-12);
        assertEquals(2, d2.hits());
        assertEquals(4, d2.actual());
        PredictorEval.Row l1 = r.rows().stream().filter(x -> x.depth() == 1 && x.layer() == 1).findFirst().orElseThrow();
        assertEquals(3, l1.hits());
        assertEquals(0.75, l1.precision(), 1e-12);
        // m = 1: only the first id is predicted: depth 1 → layer 1: 2 + 3 ∈ ... token0 {2} hit, token1 {2} miss;
        // layer 2: {0} hit, {0} miss → 2 hits, 4 predicted, 8 routed.
        PredictorEval.Row m1 = PredictorEval.run(List.of(p), new int[] {1}, 1, d, d.sequences()).totals().get(0);
        assertEquals(2, m1.hits());
        assertEquals(4, m1.predicted());
        assertEquals(0.5, m1.precision(), 1e-12);
        assertEquals(0.25, m1.recall(), 1e-12);

        // Gate at recall 0.6: (0 → 1) has 0.75 and stays; (1 → 2) and (0 → 2) have 0.5 and go.
        GatedPredictor g = GatedPredictor.calibrate(p, d, d.sequences(), 2, 2, 0.6);
        assertEquals("fixed-gated", g.name());
        assertTrue(g.covers(0, 1));
        assertTrue(!g.covers(1, 1) && !g.covers(0, 2));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[0], g.predict(1, 1, new float[1], 2));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {2, 3}, g.predict(0, 1, new float[1], 2));
    }

    @Test
    void priorRanksByTrainingCounts() {
        int[][][] ex = {{{0, 1}, {2, 3}}, {{0, 2}, {3, 1}}, {{0, 3}, {3, 2}}};
        RoutingDataset d = new RoutingDataset(2, 4, 2, 1, new boolean[] {true, true},
                List.of(new RoutingDataset.Sequence("s", new float[3][2][1], ex)));
        FrequencyPrior p = FrequencyPrior.train(d, d.sequences());
        assertEquals(3, p.count(1, 3));
        // layer 1 counts: e0 0, e1 1, e2 2, e3 3 → top-2 = [3, 2]; ties go to the lower id.
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {3, 2}, p.predict(0, 1, new float[1], 2));
        assertEquals(3, p.count(0, 0));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[0], p.predict(1, 1, new float[1], 2));
    }
}
