// How a model's router turns expert logits into top-k experts and combine weights (softmax or DeepSeek-V3 style).
package io.strata.engine.moe;

/**
 * The routing rule of a model, read from its config.
 *
 * @param scoring        SOFTMAX over the logits (Mixtral, Qwen, OLMoE, DeepSeek-V2) or SIGMOID per expert (DeepSeek-V3,
 *                       GLM-4.5)
 * @param nGroup         experts split into nGroup equal groups for group-limited selection (1 = no groups)
 * @param topkGroup      groups a token may pick its experts from (≤ nGroup)
 * @param groupByTop2Sum a group's score is the sum of its two best choice scores (V3 "noaux_tc"); else its best
 *                       score (V2 "group_limited_greedy")
 * @param normTopK       renormalise the k weights to sum to 1
 * @param scale          routed_scaling_factor applied to the final weights
 */
public record RouterSpec(Scoring scoring, int nGroup, int topkGroup, boolean groupByTop2Sum, boolean normTopK, float scale) {
    public enum Scoring { SOFTMAX, SIGMOID }

    /** Softmax top-k with optional renormalisation: the rule of the Mixtral/Qwen/OLMoE families. */
    public static RouterSpec softmax(boolean normTopK) {
        return new RouterSpec(Scoring.SOFTMAX, 1, 1, false, normTopK, 1f);
    }

    public boolean plainSoftmax() {
        return scoring == Scoring.SOFTMAX && nGroup == 1 && scale == 1f;
    }
}
