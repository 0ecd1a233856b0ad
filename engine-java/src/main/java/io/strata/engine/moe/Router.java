// Router: softmax over expert logits, top-k, optional renormalisation (the plan of one MoE call).
package io.strata.engine.moe;

public final class Router {
    private Router() {}

    /**
     * Routes one token.
     *
     * @param logits   (experts) router logits
     * @param k        experts per token
     * @param normTopK renormalise the k probabilities to sum to 1 (Mixtral always; Qwen norm_topk_prob)
     * @param ids      out (k): expert ids in rank order (highest probability first; ties → lower id)
     * @param weights  out (k): their combine weights
     */
    public static void route(float[] logits, int off, int experts, int k, boolean normTopK, int[] ids, float[] weights) {
        float max = Float.NEGATIVE_INFINITY;
        for (int e = 0; e < experts; e++) max = Math.max(max, logits[off + e]);
        double sum = 0;
        double[] p = new double[experts];
        for (int e = 0; e < experts; e++) {
            p[e] = Math.exp(logits[off + e] - max);
            sum += p[e];
        }
        boolean[] taken = new boolean[experts];
        double picked = 0;
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int e = 0; e < experts; e++) {
                if (!taken[e] && (best < 0 || p[e] > p[best])) best = e;
            }
            taken[best] = true;
            ids[j] = best;
            weights[j] = (float) (p[best] / sum);
            picked += p[best] / sum;
        }
        if (normTopK) {
            for (int j = 0; j < k; j++) weights[j] = (float) (weights[j] / picked);
        }
    }
}
