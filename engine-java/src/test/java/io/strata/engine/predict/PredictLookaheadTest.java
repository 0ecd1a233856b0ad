// Gate look-ahead: hand-computed router logits, and exact routing when fed the next layer's own router input.
package io.strata.engine.predict;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.engine.api.StrataModel;
import io.strata.engine.synth.SyntheticCheckpoint;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictLookaheadTest {
    @Test
    void handComputedRouterLogits() {
        // 3 layers, hidden 3, 4 experts; layer 0 dense. Router of layer 2 rows: e0 (1,0,0) e1 (0,1,0) e2 (0,0,1) e3 (1,1,1).
        float[][] routers = {
            null,
            {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
            {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1},
        };
        LookaheadPredictor p = new LookaheadPredictor(routers, 3, 4);
        float[] x = {0.5f, -2f, 1f};
        // logits: 0.5, -2, 1, -0.5 → top-2 = [2, 0]; top-3 = [2, 0, 3]
        assertArrayEquals(new float[] {0.5f, -2f, 1f, -0.5f}, p.scores(0, 2, x), 1e-6f);
        assertArrayEquals(new int[] {2, 0}, p.predict(1, 1, x, 2));
        assertArrayEquals(new int[] {2, 0, 3}, p.predict(0, 2, x, 3));
        // layer 1's router is all zeros: every logit ties, so ids come in id order.
        assertArrayEquals(new int[] {0, 1}, p.predict(0, 1, x, 2));
        assertFalse(p.covers(1, 2), "layer 3 does not exist");
        assertFalse(p.covers(-1, 1), "layer 0 is dense");
        assertEquals(0, p.predict(2, 1, x, 2).length);

        // Norm rescaling: x ⊙ w2 / w0 = (0.5·2/1, -2·2/2, 1·0.5/1) = (1, -2, 0.5) → logits 1, -2, 0.5, -0.5.
        float[][] norms = {{1, 2, 1}, {1, 1, 1}, {2, 2, 0.5f}};
        LookaheadPredictor n = new LookaheadPredictor(routers, norms, 3, 4);
        assertEquals("lookahead-norm", n.name());
        assertArrayEquals(new float[] {1f, -2f, 0.5f, -0.5f}, n.scores(0, 2, x), 1e-6f);
        assertArrayEquals(new int[] {0, 2}, n.predict(0, 2, x, 2));
    }

    /**
     * On a synthetic 4-layer Mixtral, give the predictor layer L+1's own router input in place of layer L's: with
     * depth 1 it must reproduce the model's routing of layer L+1 for every token whose top-k is not a near tie.
     */
    @Test
    void reproducesTrueRoutingWhenFedTheNextRouterInput(@TempDir Path tmp) throws Exception {
        var spec = SyntheticCheckpoint.preset("tiny").withLayers(4);
        Path dir = SyntheticCheckpoint.write(spec, tmp.resolve("tiny"), null);
        try (StrataModel m = StrataModel.load(dir, io.strata.engine.api.EngineOptions.builder().backend("cpu").context(64).build())) {
            RoutingRecorder rec = new RoutingRecorder(m.model().backend(), m.config());
            m.model().addObserver(rec);
            int[] ids = new int[40];
            for (int i = 0; i < ids.length; i++) ids[i] = (i * 37 + 11) % spec.vocab();
            m.model().forward(ids, 0, m.model().newCache(64), false);
            RoutingDataset.Sequence s = rec.finish("synthetic");
            LookaheadPredictor p = LookaheadPredictor.of(m.model());
            int k = spec.topK(), checked = 0, ties = 0;
            for (int t = 0; t < s.tokens(); t++) {
                for (int l = 0; l + 1 < spec.layers(); l++) {
                    float[] next = s.hidden()[t][l + 1];
                    float[] sc = p.scores(l, 1, next);
                    int[] pred = p.predict(l, 1, next, k + 1);
                    // k-th vs (k+1)-th logit: below 1e-4 apart the model's f32 sum order may pick either.
                    if (sc[pred[k - 1]] - sc[pred[k]] < 1e-4f) {
                        ties++;
                        continue;
                    }
                    int[] want = s.experts()[t][l + 1].clone(), got = java.util.Arrays.copyOf(pred, k);
                    java.util.Arrays.sort(want);
                    java.util.Arrays.sort(got);
                    assertArrayEquals(want, got, "token " + t + " layer " + (l + 1));
                    checked++;
                }
            }
            assertTrue(checked >= 100 && ties <= 3, "checked " + checked + ", near ties " + ties);
        }
    }

    /** A sigmoid router with a correction bias (DeepSeek-V3 shaped fixture) is ranked by the score it selects by. */
    @Test
    void sigmoidRouterScoresAddTheCorrectionBias() throws Exception {
        Path dir = io.strata.engine.model.GoldenForwardTest.fixture("deepseek_v3");
        try (StrataModel m = StrataModel.load(dir, io.strata.engine.api.EngineOptions.builder().backend("cpu").context(64).build())) {
            var c = m.config();
            LookaheadPredictor p = LookaheadPredictor.of(m.model());
            var L = m.model().weights().layers[2];
            float[] x = new float[c.hidden()];
            for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i * 0.7);
            float[] got = p.scores(1, 1, x);
            for (int e = 0; e < c.numExperts(); e++) {
                double logit = 0;
                for (int i = 0; i < x.length; i++) logit += L.router.matrix().get(e, i) * (double) x[i];
                assertEquals(1 / (1 + Math.exp(-logit)) + L.scoreBias[e], got[e], 1e-5, "expert " + e);
            }
            assertTrue(L.scoreBias[0] != 0f, "the fixture's bias is not zero");
        }
    }
}
