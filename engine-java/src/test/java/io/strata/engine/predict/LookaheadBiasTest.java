// The lookahead predictor on a biased router (gpt-oss): its scores are the next layer's router logits, bias included.
package io.strata.engine.predict;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.engine.backend.cpu.CpuBackend;
import io.strata.engine.checkpoint.Checkpoint;
import io.strata.engine.model.GoldenForwardTest;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.MoeModel;
import io.strata.engine.store.CheckpointExpertStore;
import org.junit.jupiter.api.Test;

class LookaheadBiasTest {
    @Test
    void scoresIncludeTheRouterBias() throws Exception {
        try (Checkpoint ck = Checkpoint.open(GoldenForwardTest.fixture("gpt_oss"))) {
            ModelConfig c = ModelConfig.parse(ck.config(), ck.dir());
            try (MoeModel m = new MoeModel(c, ck, new CheckpointExpertStore(c, ck), new CpuBackend())) {
                LookaheadPredictor p = LookaheadPredictor.of(m);
                float[] x = new float[c.hidden()];
                for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
                float[] got = p.scores(0, 1, x);
                var w = ck.matrix("model.layers.1.mlp.router.weight", c.numExperts(), c.hidden());
                var b = ck.vector("model.layers.1.mlp.router.bias", c.numExperts());
                for (int e = 0; e < c.numExperts(); e++) {
                    double s = b.get(0, e);
                    for (int i = 0; i < x.length; i++) s += (double) w.get(e, i) * x[i];
                    assertEquals(s, got[e], 1e-4, "expert " + e);
                }
            }
        }
    }
}
