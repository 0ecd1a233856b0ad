// Indices of the m largest scores (the top-m plan shared by every predictor).
package io.strata.engine.predict;

public final class TopM {
    private TopM() {}

    /** Indices of the min(m, scores.length) largest scores, best first; ties go to the lower index. */
    public static int[] of(float[] scores, int m) {
        int k = Math.min(m, scores.length);
        int[] out = new int[k];
        boolean[] taken = new boolean[scores.length];
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int e = 0; e < scores.length; e++) {
                if (!taken[e] && (best < 0 || scores[e] > scores[best])) best = e;
            }
            taken[best] = true;
            out[j] = best;
        }
        return out;
    }
}
