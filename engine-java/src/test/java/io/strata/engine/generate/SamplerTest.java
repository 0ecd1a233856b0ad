// Sampling against hand-checked cases and the softmax it should draw from.
package io.strata.engine.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SamplerTest {
    static final float[] LOGITS = {1.0f, 3.0f, 2.0f, -1.0f};

    @Test
    void greedyIsArgmax() {
        assertEquals(1, new Sampler(SamplingConfig.GREEDY).sample(LOGITS, 0, 4));
        assertEquals(2, new Sampler(SamplingConfig.GREEDY).sample(new float[] {9, 9, 0, 1, 5}, 2, 3)); // offset window {0,1,5}
    }

    @Test
    void topKOneAndTinyTopPAreGreedy() {
        for (long seed = 0; seed < 20; seed++) {
            assertEquals(1, new Sampler(new SamplingConfig(1f, 1, 1f, seed)).sample(LOGITS, 0, 4));
            assertEquals(1, new Sampler(new SamplingConfig(1f, 0, 0.01f, seed)).sample(LOGITS, 0, 4));
        }
    }

    @Test
    void frequenciesFollowTheTemperedSoftmax() {
        float temp = 0.7f;
        double[] p = new double[4];
        double z = 0;
        for (int i = 0; i < 4; i++) z += p[i] = Math.exp(LOGITS[i] / temp);
        Sampler s = new Sampler(new SamplingConfig(temp, 0, 1f, 42));
        int[] count = new int[4];
        int n = 200_000;
        for (int i = 0; i < n; i++) count[s.sample(LOGITS, 0, 4)]++;
        for (int i = 0; i < 4; i++) {
            double want = p[i] / z, got = (double) count[i] / n;
            assertEquals(want, got, 4 * Math.sqrt(want * (1 - want) / n) + 1e-4, "token " + i);
        }
    }

    @Test
    void topKAndTopPRenormaliseOverTheKeptTokens() {
        // top-k 2 keeps tokens 1 and 2 with probabilities e^3 : e^2.
        Sampler s = new Sampler(new SamplingConfig(1f, 2, 1f, 7));
        int[] count = new int[4];
        int n = 100_000;
        for (int i = 0; i < n; i++) count[s.sample(LOGITS, 0, 4)]++;
        assertEquals(0, count[0] + count[3]);
        double want = Math.exp(3) / (Math.exp(3) + Math.exp(2));
        assertEquals(want, (double) count[1] / n, 0.01);
        // top-p 0.85: softmax(1,3,2,-1) = .089 .657 .242 .012 → {1, 2} reach 0.899 ≥ 0.85: tokens 0 and 3 never drawn.
        Sampler sp = new Sampler(new SamplingConfig(1f, 0, 0.85f, 7));
        int[] c2 = new int[4];
        for (int i = 0; i < n; i++) c2[sp.sample(LOGITS, 0, 4)]++;
        assertEquals(0, c2[0] + c2[3]);
        assertTrue(c2[2] > 0);
    }

    @Test
    void sameSeedSameSequence() {
        Sampler a = new Sampler(new SamplingConfig(1f, 0, 1f, 99)), b = new Sampler(new SamplingConfig(1f, 0, 1f, 99));
        for (int i = 0; i < 100; i++) assertEquals(a.sample(LOGITS, 0, 4), b.sample(LOGITS, 0, 4));
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(1f, 0, 0f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(1f, -1, 1f, 0));
    }
}
