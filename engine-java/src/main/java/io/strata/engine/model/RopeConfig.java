// How the backend applies a model's rotary embedding: partial rotary, and DeepSeek's YaRN softmax scale.
package io.strata.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.engine.backend.RopeFreqs;
import io.strata.engine.checkpoint.CheckpointException;

/**
 * The rotary embedding as the forward pass applies it: the frequencies of {@link RopeScaling} (default RoPE or
 * YaRN, computed there) over the first {@code partial_rotary_factor} share of each head (GLM-4.5 rotates half),
 * or over qk_rope_head_dim for MLA.
 *
 * @param freqs          the frequencies and cos/sin factor, for the backend
 * @param plain          default RoPE over every dimension: the backend's theta-only rope computes exactly this
 * @param softmaxMscale  DeepSeek's YaRN attention-scale multiplier, mscale(factor, mscale_all_dim)² (1 otherwise), as
 *                       transformers' yarn_apply_mscale
 * @param type           "default" or "yarn"
 */
public record RopeConfig(RopeFreqs freqs, boolean plain, float softmaxMscale, String type) {

    /** Dimensions of a head that rotate: headDim times partial_rotary_factor (rope_parameters' or the config's). */
    static int rotaryDim(JsonNode c, int headDim, String src) {
        JsonNode p = c.path("rope_parameters");
        double partial = p.has("partial_rotary_factor") ? p.get("partial_rotary_factor").asDouble()
                : c.path("partial_rotary_factor").asDouble(1.0);
        if (!(partial > 0 && partial <= 1)) {
            throw new CheckpointException(src + ": expected 'partial_rotary_factor' in (0, 1], found " + partial);
        }
        int rot = (int) (headDim * partial);
        if (rot < 2 || rot % 2 != 0) {
            throw new CheckpointException(src + ": rotary dimensions " + headDim + " x partial_rotary_factor " + partial + " = " + rot
                    + " must be even and at least 2");
        }
        return rot;
    }

    /**
     * @param rope     the frequencies over the rotated dimensions
     * @param headDim  dimensions of a query head (for MLA its rope part is all that rotates: never plain)
     * @param deepseek apply DeepSeek's mscale_all_dim to the softmax scale
     */
    static RopeConfig of(JsonNode c, RopeScaling rope, int headDim, boolean deepseek) {
        float soft = 1f;
        JsonNode p = c.path("rope_parameters").isObject() ? c.path("rope_parameters") : c.path("rope_scaling");
        double mscaleAll = p.path("mscale_all_dim").asDouble(0);
        if (deepseek && rope.type().equals("yarn") && mscaleAll != 0) {
            double m = RopeScaling.mscale(p.path("factor").asDouble(1), mscaleAll);
            soft = (float) (m * m);
        }
        boolean plain = !deepseek && rope.type().equals("default") && rope.dim() == headDim;
        return new RopeConfig(new RopeFreqs(rope.invFreq(), rope.attentionFactor()), plain, soft, rope.type());
    }
}
