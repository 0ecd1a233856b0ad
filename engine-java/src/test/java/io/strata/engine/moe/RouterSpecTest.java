// Grouped sigmoid routing (DeepSeek-V3 / GLM-4.5) and group-limited softmax (DeepSeek-V2) on hand-checked cases.
package io.strata.engine.moe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RouterSpecTest {
    private static float sig(float x) {
        return (float) (1 / (1 + Math.exp(-x)));
    }

    @Test
    void sigmoidWithBiasGroupsAndScaling() {
        // 8 experts in 4 groups of 2; logits and bias chosen so that the bias changes the winner and a group with
        // the single best expert loses to two groups whose two experts sum higher.
        float[] logits = {3.0f, -3.0f, 1.0f, 1.0f, 0.5f, 0.4f, -1f, -1f};
        float[] bias = {0f, 0f, 0f, 0f, 0f, 0f, 0f, 2.5f};
        // choice = sigmoid + bias: {0.953, 0.047, 0.731, 0.731, 0.622, 0.599, 0.269, 2.769}
        // group scores (top-2 sums): g0 1.000, g1 1.462, g2 1.221, g3 3.038 → topk_group 2 keeps g3 and g1
        RouterSpec spec = new RouterSpec(RouterSpec.Scoring.SIGMOID, 4, 2, true, true, 2.5f);
        int[] ids = new int[3];
        float[] w = new float[3];
        Router.route(spec, logits, 0, 8, 3, bias, ids, w);
        assertArrayEquals(new int[] {7, 2, 3}, ids); // expert 0 (best raw score) is in a dropped group
        float s7 = sig(-1f), s2 = sig(1f), s3 = sig(1f), sum = s7 + s2 + s3;
        // weights come from the unbiased scores, renormalised, times routed_scaling_factor
        assertArrayEquals(new float[] {2.5f * s7 / sum, 2.5f * s2 / sum, 2.5f * s3 / sum}, w, 1e-6f);
    }

    @Test
    void groupLimitedSoftmaxTakesTheGroupsOfTheBestExperts() {
        float[] logits = {0f, 2f, 1.9f, 0f, 0f, 1.95f};
        // 3 groups of 2; group max of softmax: g0 e1, g1 e2, g2 e5 → topk_group 1 keeps only g0
        RouterSpec spec = new RouterSpec(RouterSpec.Scoring.SOFTMAX, 3, 1, false, false, 1f);
        int[] ids = new int[2];
        float[] w = new float[2];
        Router.route(spec, logits, 0, 6, 2, null, ids, w);
        assertArrayEquals(new int[] {1, 0}, ids);
        double z = 0;
        for (float l : logits) z += Math.exp(l);
        assertEquals(Math.exp(2) / z, w[0], 1e-6);
        assertEquals(1 / z, w[1], 1e-6);
    }

    @Test
    void plainSoftmaxSpecMatchesTheClassicRouter() {
        float[] logits = {0.3f, -1f, 2f, 0.7f, 1.1f};
        int[] a = new int[2], b = new int[2];
        float[] wa = new float[2], wb = new float[2];
        Router.route(logits, 0, 5, 2, true, a, wa);
        Router.route(RouterSpec.softmax(true), logits, 0, 5, 2, null, b, wb);
        assertArrayEquals(a, b);
        assertArrayEquals(wa, wb);
    }
}
