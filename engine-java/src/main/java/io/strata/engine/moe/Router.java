// Router: softmax over expert logits, top-k, optional renormalisation (the plan of one MoE call).
package io.strata.engine.moe;

public final class Router {
    private Router() {}

    /**
     * Routes one token by spec: scores (softmax or sigmoid of the logits), choice scores = scores + bias (bias: the
     * e_score_correction_bias (experts), or null), group-limited selection when spec.nGroup() > 1 (the topkGroup
     * best groups stay, the others are masked), top-k by choice score, weights = the chosen experts' scores,
     * renormalised if asked, times spec.scale(). ids come in rank order (best choice first; ties → lower id).
     * As transformers' DeepseekV2/V3 and Glm4Moe routers, in f32.
     */
    public static void route(RouterSpec spec, float[] logits, int off, int experts, int k, float[] bias, int[] ids, float[] weights) {
        if (spec.plainSoftmax() && bias == null) {
            route(logits, off, experts, k, spec.normTopK(), ids, weights);
            return;
        }
        float[] score = new float[experts], choice = new float[experts];
        if (spec.scoring() == RouterSpec.Scoring.SIGMOID) {
            for (int e = 0; e < experts; e++) score[e] = (float) (1.0 / (1.0 + Math.exp(-logits[off + e])));
        } else {
            float max = Float.NEGATIVE_INFINITY;
            for (int e = 0; e < experts; e++) max = Math.max(max, logits[off + e]);
            double sum = 0;
            for (int e = 0; e < experts; e++) sum += Math.exp(logits[off + e] - max);
            for (int e = 0; e < experts; e++) score[e] = (float) (Math.exp(logits[off + e] - max) / sum);
        }
        for (int e = 0; e < experts; e++) choice[e] = bias == null ? score[e] : score[e] + bias[e];
        boolean[] allowed = new boolean[experts];
        int G = spec.nGroup();
        if (G > 1) {
            int per = experts / G;
            float[] g = new float[G];
            for (int i = 0; i < G; i++) {
                float best = Float.NEGATIVE_INFINITY, second = Float.NEGATIVE_INFINITY;
                for (int e = i * per; e < (i + 1) * per; e++) {
                    if (choice[e] > best) {
                        second = best;
                        best = choice[e];
                    } else if (choice[e] > second) {
                        second = choice[e];
                    }
                }
                g[i] = spec.groupByTop2Sum() ? best + (per > 1 ? second : 0f) : best;
            }
            boolean[] takenG = new boolean[G];
            for (int j = 0; j < spec.topkGroup(); j++) {
                int bg = -1;
                for (int i = 0; i < G; i++) if (!takenG[i] && (bg < 0 || g[i] > g[bg])) bg = i;
                takenG[bg] = true;
                for (int e = bg * per; e < (bg + 1) * per; e++) allowed[e] = true;
            }
        } else {
            java.util.Arrays.fill(allowed, true);
        }
        double picked = 0;
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int e = 0; e < experts; e++) {
                if (allowed[e] && (best < 0 || choice[e] > choice[best])) best = e;
            }
            if (best < 0) {
                throw new IllegalStateException("router: " + k + " experts asked from " + spec.topkGroup() + " of " + G
                        + " groups holding fewer experts");
            }
            allowed[best] = false;
            ids[j] = best;
            weights[j] = score[best];
            picked += score[best];
        }
        for (int j = 0; j < k; j++) {
            double w = spec.normTopK() ? weights[j] / (picked + 1e-20) : weights[j];
            weights[j] = (float) (w * spec.scale());
        }
    }

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
