// The learned policy's features against values worked out by hand on a three-token trace.
package io.strata.tiering.policy;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class ExpertHistoryTest {
    private static final double EPS = 1e-12;

    /** One layer, 4 experts: token 0 uses {0, 1}, token 1 {0, 2}, token 2 {1, 2}; features read at token 2. */
    private static double[] features(int expert) {
        ExpertHistory h = new ExpertHistory(1, 4);
        int[][] steps = {{0, 1}, {0, 2}, {1, 2}};
        for (int t = 0; t < steps.length; t++) {
            for (int e : steps[t]) {
                h.observe(0, e, t, Float.NaN);
            }
        }
        double[] f = new double[ExpertHistory.FEATURES];
        h.features(0, expert, 2, f, 0);
        return f;
    }

    @Test
    void recencyAndFrequencies() {
        double[] f = features(0); // used at tokens 0 and 1
        assertEquals(1.0 / (2 - 1 + 1), f[0], EPS);
        assertEquals(2 / 4.0, f[1], EPS);
        assertEquals(2 / 16.0, f[2], EPS);
        assertEquals(2 / 64.0, f[3], EPS);
        assertEquals(2 / 3.0, f[4], EPS); // 2 uses over 3 tokens seen
        assertEquals(Math.log1p(1) / 8, f[5], EPS);
        assertEquals(Math.log1p(1) / 8, f[6], EPS); // one gap of 1 token
        double[] never = features(3);
        assertEquals(0, never[0], EPS);
        assertEquals(0, never[1], EPS);
        assertEquals(0, never[4], EPS);
        assertEquals(Math.log1p(3) / 8, never[5], EPS);
    }

    @Test
    void lagOneTransitionFromTheCurrentStep() {
        // Transitions seen: {0,1} -> {0,2} and {0,2} -> {1,2}. Current step {1, 2}.
        // P(0 next | 1) = 1/1, P(0 next | 2) = 0/1: mean 0.5. P(2 next | 1) = 1, P(2 next | 2) = 1: mean 1.
        assertEquals(0.5, features(0)[7], EPS);
        assertEquals(1.0, features(2)[7], EPS);
        // P(3 next | anything) = 0.
        assertEquals(0.0, features(3)[7], EPS);
        // Lag 2: only {0,1} -> {1,2}: P(1 | 1) = 1, P(1 | 2) unseen (0): mean 0.5.
        assertEquals(0.5, features(1)[10], EPS);
    }

    @Test
    void setTransitionNeedsThePastOccurrencesOfTheSet() {
        // The set {1, 2} was never seen before token 2: no set statistics yet.
        assertEquals(0, features(0)[12], EPS);
        assertEquals(0, features(0)[13], EPS);
    }

    @Test
    void noRouterWeightsGiveZero() {
        assertEquals(0, features(0)[9], EPS);
    }
}
