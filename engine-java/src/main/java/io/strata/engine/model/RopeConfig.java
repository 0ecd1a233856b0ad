// Rotary embedding parameters of a config.json (rope_theta, rope_parameters / rope_scaling, partial_rotary_factor).
package io.strata.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.engine.backend.RopeFreqs;
import io.strata.engine.checkpoint.CheckpointException;

/**
 * The rotary embedding a config asks for, reduced to inverse frequencies (see {@link RopeFreqs}).
 * Default RoPE and YaRN (as transformers' _compute_yarn_parameters: factor, original_max_position_embeddings,
 * beta_fast/beta_slow, mscale/mscale_all_dim or attention_factor, truncate), over all or the first
 * partial_rotary_factor share of the rotary dimensions.
 *
 * @param freqs          the frequencies and cos/sin factor
 * @param plain          default RoPE over every dimension: the backend's theta-only rope computes exactly this
 * @param softmaxMscale  DeepSeek's YaRN attention scale multiplier (mscale(factor, mscale_all_dim)², 1 otherwise)
 * @param type           "default" or "yarn"
 */
public record RopeConfig(RopeFreqs freqs, boolean plain, float softmaxMscale, String type) {

    /**
     * @param dim        dimensions the rotary embedding is defined over (head_dim; qk_rope_head_dim for MLA)
     * @param deepseek   apply DeepSeek's mscale_all_dim to the softmax scale
     */
    static RopeConfig parse(JsonNode c, int dim, float theta, boolean deepseek, String src) {
        JsonNode p = c.path("rope_parameters");
        if (!p.isObject() || !p.has("rope_type")) p = c.path("rope_scaling").isObject() ? c.path("rope_scaling") : p;
        String type = p.path("rope_type").asText(p.path("type").asText("default"));
        double partial = p.has("partial_rotary_factor") ? p.get("partial_rotary_factor").asDouble()
                : c.path("partial_rotary_factor").asDouble(1.0);
        if (!(partial > 0 && partial <= 1)) {
            throw new CheckpointException(src + ": expected 'partial_rotary_factor' in (0, 1], found " + partial);
        }
        int rot = (int) (dim * partial);
        if (rot < 2 || rot % 2 != 0) {
            throw new CheckpointException(src + ": rotary dimensions " + dim + " x partial_rotary_factor " + partial + " = " + rot
                    + " must be even and at least 2");
        }
        float[] inv = new float[rot / 2];
        for (int i = 0; i < inv.length; i++) inv[i] = (float) (1.0 / Math.pow(theta, (float) (2 * i) / rot));
        switch (type) {
            case "default" -> {
                return new RopeConfig(new RopeFreqs(inv, 1f), rot == dim, 1f, type);
            }
            case "yarn" -> {
                double factor = num(p, "factor", src);
                if (!(factor >= 1)) throw new CheckpointException(src + ": expected rope 'factor' >= 1 for yarn, found " + factor);
                double orig = p.has("original_max_position_embeddings") ? num(p, "original_max_position_embeddings", src)
                        : c.path("max_position_embeddings").asDouble(4096) / factor;
                double mscale = p.path("mscale").asDouble(0), mscaleAll = p.path("mscale_all_dim").asDouble(0);
                double attn;
                if (p.hasNonNull("attention_factor")) attn = p.get("attention_factor").asDouble();
                else if (mscale != 0 && mscaleAll != 0) attn = yarnMscale(factor, mscale) / yarnMscale(factor, mscaleAll);
                else attn = yarnMscale(factor, 1);
                double betaFast = p.path("beta_fast").asDouble(32), betaSlow = p.path("beta_slow").asDouble(1);
                boolean truncate = p.path("truncate").asBoolean(true);
                double low = correctionDim(betaFast, rot, theta, orig), high = correctionDim(betaSlow, rot, theta, orig);
                if (truncate) {
                    low = Math.floor(low);
                    high = Math.ceil(high);
                }
                low = Math.max(low, 0);
                high = Math.min(high, rot - 1);
                if (low == high) high += 0.001; // as the reference: no zero-width ramp
                for (int i = 0; i < inv.length; i++) {
                    float posFreq = (float) Math.pow(theta, (float) (2 * i) / rot);
                    float extra = 1f / posFreq, inter = (float) (1.0 / (factor * posFreq));
                    float ramp = (float) Math.min(1, Math.max(0, (i - low) / (high - low)));
                    float extraFactor = 1 - ramp;
                    inv[i] = inter * (1 - extraFactor) + extra * extraFactor;
                }
                float soft = 1f;
                if (deepseek && mscaleAll != 0) {
                    double m = yarnMscale(factor, mscaleAll);
                    soft = (float) (m * m);
                }
                return new RopeConfig(new RopeFreqs(inv, (float) attn), false, soft, type);
            }
            default -> throw new CheckpointException(src + ": rope type '" + type + "' is not supported (default or yarn)");
        }
    }

    private static double yarnMscale(double scale, double mscale) {
        return scale <= 1 ? 1.0 : 0.1 * mscale * Math.log(scale) + 1.0;
    }

    /** The dimension at which a frequency makes numRotations turns over maxPos positions (YaRN's correction range). */
    private static double correctionDim(double numRotations, int dim, double base, double maxPos) {
        return dim * Math.log(maxPos / (numRotations * 2 * Math.PI)) / (2 * Math.log(base));
    }

    private static double num(JsonNode p, String key, String src) {
        JsonNode v = p.get(key);
        if (v == null || !v.isNumber()) throw new CheckpointException(src + ": rope parameters lack numeric '" + key + "'");
        return v.asDouble();
    }
}
