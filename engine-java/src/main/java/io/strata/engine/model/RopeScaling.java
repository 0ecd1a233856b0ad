// Rotary embedding frequencies and their scaling (default RoPE, YaRN), read from a Hugging Face config.json.
package io.strata.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.engine.checkpoint.CheckpointException;
import java.util.Arrays;

/**
 * The rotary embedding of one model: for pair i of a head (dims i and i + dim/2, rotate-half), the angle at
 * position p is {@code p · invFreq[i]}, and both cos and sin are multiplied by {@code attentionFactor} (YaRN's
 * "mscale": applied to q and k, it scales the attention logits by attentionFactor²).
 *
 * <p>YaRN (arXiv 2309.00071) as transformers' {@code _compute_yarn_parameters} computes it: with
 * {@code pos_freqs = theta^(2i/dim)}, extrapolated frequencies {@code 1/pos_freqs} and interpolated ones
 * {@code 1/(factor·pos_freqs)} are blended by a linear ramp over the pair index between the correction dims of
 * beta_fast and beta_slow rotations (floored/ceiled unless {@code truncate} is false); the attention factor is
 * {@code 0.1·mscale·ln(factor) + 1} (or the ratio of two such terms with mscale and mscale_all_dim, as DeepSeek
 * configures it), unless the config gives {@code attention_factor}.
 *
 * @param type            "default" or "yarn"
 * @param invFreq         (dim/2) inverse frequencies, f32 as transformers computes them
 * @param attentionFactor multiplier of cos and sin (1 for the default RoPE)
 */
public record RopeScaling(String type, float[] invFreq, float attentionFactor) {
    public RopeScaling {
        invFreq = invFreq.clone();
    }

    /** Rotated dims (twice the number of frequencies). */
    public int dim() {
        return 2 * invFreq.length;
    }

    @Override
    public float[] invFreq() {
        return invFreq.clone();
    }

    /** Frequency i without a copy. */
    public float invFreq(int i) {
        return invFreq[i];
    }

    /** The plain RoPE of Llama: invFreq[i] = theta^(-2i/dim), computed in f32 as the reference does. */
    public static RopeScaling standard(int dim, double theta) {
        float[] f = new float[dim / 2];
        for (int i = 0; i < f.length; i++) f[i] = (float) (1.0 / Math.pow(theta, (float) (2 * i) / dim));
        return new RopeScaling("default", f, 1f);
    }

    /**
     * YaRN with the parameters transformers reads from {@code rope_scaling} / {@code rope_parameters}.
     *
     * @param dim           rotated dims of a head
     * @param originalMax   original_max_position_embeddings (the pre-training context)
     * @param attentionFactor the config's attention_factor, or NaN to derive it from factor, mscale and mscale_all_dim
     * @param mscale        NaN or 0 when absent
     * @param mscaleAllDim  NaN or 0 when absent
     */
    public static RopeScaling yarn(int dim, double theta, double factor, double originalMax, double betaFast, double betaSlow,
                                   boolean truncate, double attentionFactor, double mscale, double mscaleAllDim) {
        double att = attentionFactor;
        if (Double.isNaN(att)) {
            boolean both = !Double.isNaN(mscale) && mscale != 0 && !Double.isNaN(mscaleAllDim) && mscaleAllDim != 0;
            att = both ? mscale(factor, mscale) / mscale(factor, mscaleAllDim) : mscale(factor, 1);
        }
        double low = correctionDim(betaFast, dim, theta, originalMax), high = correctionDim(betaSlow, dim, theta, originalMax);
        if (truncate) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, dim - 1);
        if (low == high) high += 0.001; // as the reference: no zero-width ramp
        int half = dim / 2;
        float[] f = new float[half];
        for (int i = 0; i < half; i++) {
            float posFreq = (float) Math.pow(theta, (float) (2 * i) / dim);
            float extrapolation = 1f / posFreq, interpolation = 1f / ((float) factor * posFreq);
            float ramp = (float) Math.min(1, Math.max(0, (i - (float) low) / (float) (high - low)));
            float extrapolationWeight = 1f - ramp;
            f[i] = interpolation * (1f - extrapolationWeight) + extrapolation * extrapolationWeight;
        }
        return new RopeScaling("yarn", f, (float) att);
    }

    /** YaRN's magnitude correction {@code 0.1·m·ln(scale) + 1} (1 for scale ≤ 1). */
    public static double mscale(double scale, double m) {
        return scale <= 1 ? 1.0 : 0.1 * m * Math.log(scale) + 1.0;
    }

    /** The pair index at which a wavelength makes {@code rotations} turns over maxPositions. */
    private static double correctionDim(double rotations, int dim, double theta, double maxPositions) {
        return dim * Math.log(maxPositions / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }

    /**
     * The RoPE of a config: {@code rope_parameters} (transformers 5) or {@code rope_scaling} beside {@code rope_theta}
     * (older writers); absent or "default" gives the plain RoPE. Fails naming src and the field for a type it does not
     * implement or a bad parameter.
     *
     * @param dim rotated dims of a head (head_dim, or its rope part)
     */
    public static RopeScaling parse(JsonNode c, int dim, String src) {
        JsonNode p = c.path("rope_parameters").isObject() ? c.path("rope_parameters") : c.path("rope_scaling");
        String where = c.path("rope_parameters").isObject() ? "rope_parameters" : "rope_scaling";
        double theta = c.has("rope_theta") ? c.get("rope_theta").asDouble() : p.path("rope_theta").asDouble(10000.0);
        if (!(theta > 1) || Double.isInfinite(theta)) {
            throw new CheckpointException(src + ": expected rope_theta > 1, found " + theta);
        }
        if (dim < 2 || dim % 2 != 0) {
            throw new CheckpointException(src + ": rotary dims must be even and at least 2, found " + dim);
        }
        String type = p.isObject() ? p.path("rope_type").asText(p.path("type").asText("default")) : "default";
        switch (type) {
            case "default":
                return standard(dim, theta);
            case "yarn": {
                double factor = num(p, "factor", Double.NaN, where, src);
                double orig = num(p, "original_max_position_embeddings", Double.NaN, where, src);
                if (Double.isNaN(orig)) orig = c.path("original_max_position_embeddings").asDouble(Double.NaN);
                if (Double.isNaN(factor) && !Double.isNaN(orig)) factor = c.path("max_position_embeddings").asDouble() / orig;
                if (!(factor >= 1) || !(orig >= 1)) {
                    throw new CheckpointException(src + ": " + where + " of rope_type yarn needs factor >= 1 and original_max_position_embeddings >= 1, found factor "
                            + factor + ", original_max_position_embeddings " + orig);
                }
                double betaFast = num(p, "beta_fast", 32, where, src), betaSlow = num(p, "beta_slow", 1, where, src);
                if (!(betaFast > 0) || !(betaSlow > 0)) {
                    throw new CheckpointException(src + ": " + where + ".beta_fast and beta_slow must be > 0, found " + betaFast + ", " + betaSlow);
                }
                return yarn(dim, theta, factor, orig, betaFast, betaSlow, p.path("truncate").asBoolean(true),
                        num(p, "attention_factor", Double.NaN, where, src), num(p, "mscale", Double.NaN, where, src),
                        num(p, "mscale_all_dim", Double.NaN, where, src));
            }
            default:
                throw new CheckpointException(src + ": " + where + ".rope_type '" + type + "' is not supported (expected default or yarn)");
        }
    }

    private static double num(JsonNode p, String key, double dflt, String where, String src) {
        JsonNode v = p.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber()) throw new CheckpointException(src + ": " + where + "." + key + " must be a number, found " + v);
        return v.asDouble();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RopeScaling r && r.type.equals(type) && Arrays.equals(r.invFreq, invFreq) && r.attentionFactor == attentionFactor;
    }

    @Override
    public int hashCode() {
        return type.hashCode() * 31 + Arrays.hashCode(invFreq);
    }

    @Override
    public String toString() {
        return type + "(dim " + dim() + ", attention factor " + attentionFactor + ")";
    }
}
