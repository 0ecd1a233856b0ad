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

    @Test
    void neighbourVotesOfTheMostSimilarEarlierTokens() {
        // One layer, 4 experts: 0 {0,1}, 1 {2,3}, 2 {0,1}, 3 {0,2}; current token 4 {0,1}.
        // Overlap with token 4: u=2 and u=0 share 2 experts, u=3 one, u=1 none; all four have a seen successor and
        // vote (fewer than NEIGHBOURS). Successors: 3 {0,2}, 1 {2,3}, 4 {0,1}, 2 {0,1}.
        ExpertHistory h = new ExpertHistory(1, 4);
        int[][] steps = {{0, 1}, {2, 3}, {0, 1}, {0, 2}, {0, 1}};
        for (int t = 0; t < steps.length; t++) {
            for (int e : steps[t]) {
                h.observe(0, e, t, Float.NaN);
            }
        }
        double[] f = new double[ExpertHistory.FEATURES];
        double[] lag1 = {3 / 4.0, 2 / 4.0, 2 / 4.0, 1 / 4.0};
        // Lag 2 only for u <= 2: u=2 -> 4 {0,1}, u=0 -> 2 {0,1}, u=1 -> 3 {0,2}.
        double[] lag2 = {3 / 3.0, 2 / 3.0, 1 / 3.0, 0};
        for (int e = 0; e < 4; e++) {
            h.features(0, e, 4, f, 0);
            assertEquals(lag1[e], f[14], EPS, "expert " + e);
            assertEquals(lag2[e], f[15], EPS, "expert " + e);
        }
    }

    @Test
    void onlyTheMostSimilarNeighboursVote() {
        // Tokens 0..29 alternate {0,1} (even) and {2,3} (odd); token 30 is {0,1}. The 15 even tokens match it fully,
        // the odd ones not at all: the top 20 are the 15 even and the 5 most recent odd (29, 27, 25, 23, 21).
        // Next tokens: even -> odd {2,3}, odd -> even {0,1} (29 -> 30 itself).
        ExpertHistory h = new ExpertHistory(1, 4);
        for (int t = 0; t <= 30; t++) {
            int a = t % 2 == 0 ? 0 : 2;
            h.observe(0, a, t, Float.NaN);
            h.observe(0, a + 1, t, Float.NaN);
        }
        assertEquals(20, ExpertHistory.NEIGHBOURS);
        double[] f = new double[ExpertHistory.FEATURES];
        h.features(0, 2, 30, f, 0);
        assertEquals(15 / 20.0, f[14], EPS);
        // Two tokens on: even u -> even {0,1}; of the odd, 29 has no token 31 yet, the other 4 -> odd {2,3}.
        assertEquals(4 / 19.0, f[15], EPS);
        h.features(0, 0, 30, f, 0);
        assertEquals(5 / 20.0, f[14], EPS);
        assertEquals(15 / 19.0, f[15], EPS);
    }

    @Test
    void neighboursVoteWithTheirSuccessorsAtTheAskedLayer() {
        // Two layers, 4 experts; token 2 is {0,1} at both. Both earlier tokens have a seen successor and vote.
        ExpertHistory h = new ExpertHistory(2, 4);
        int[][][] steps = {{{2, 3}, {0, 1}}, {{0, 1}, {2, 3}}, {{0, 1}, {0, 1}}};
        for (int t = 0; t < steps.length; t++) {
            for (int l = 0; l < 2; l++) {
                for (int e : steps[t][l]) {
                    h.observe(l, e, t, Float.NaN);
                }
            }
        }
        double[] f = new double[ExpertHistory.FEATURES];
        // Successors at layer 1: token 0 -> token 1 {2,3}; token 1 -> token 2 {0,1}.
        h.features(1, 2, 2, f, 0);
        assertEquals(0.5, f[14], EPS);
        h.features(1, 0, 2, f, 0);
        assertEquals(0.5, f[14], EPS);
        // Layer 0 of token 2 ({0,1}): token 1 matches (2), token 0 not (0); successors at layer 0: 1 {0,1}, 2 {0,1}.
        h.features(0, 0, 2, f, 0);
        assertEquals(1.0, f[14], EPS);
    }

    @Test
    void aRestartedClockVotesWithTheNewSequenceOnly() {
        // The engine's clock is the token position, so a second prompt starts again at 0. Its steps must replace
        // the first prompt's at the same positions, not add to them: its neighbour votes are those of a history
        // that saw the second prompt alone.
        int[][] first = {{2, 3}, {2, 3}, {0, 3}, {1, 2}};
        int[][] second = {{0, 1}, {2, 3}, {0, 1}};
        ExpertHistory both = new ExpertHistory(1, 4);
        ExpertHistory alone = new ExpertHistory(1, 4);
        for (int t = 0; t < first.length; t++) {
            for (int e : first[t]) {
                both.observe(0, e, t, Float.NaN);
            }
        }
        for (int t = 0; t < second.length; t++) {
            for (int e : second[t]) {
                both.observe(0, e, t, Float.NaN);
                alone.observe(0, e, t, Float.NaN);
            }
        }
        double[] f = new double[ExpertHistory.FEATURES];
        double[] g = new double[ExpertHistory.FEATURES];
        for (int e = 0; e < 4; e++) {
            both.features(0, e, 2, f, 0);
            alone.features(0, e, 2, g, 0);
            assertEquals(g[14], f[14], EPS, "expert " + e);
            assertEquals(g[15], f[15], EPS, "expert " + e);
        }
        // Hand check: token 2 {0,1}; u=1 ({2,3}, overlap 0) and u=0 ({0,1}, overlap 2) vote with tokens 2 and 1.
        alone.features(0, 2, 2, g, 0);
        assertEquals(0.5, g[14], EPS);
    }
}
