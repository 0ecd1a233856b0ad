// The rotary embedding of one model, as the backend applies it: inverse frequencies and the cos/sin factor.
package io.strata.engine.backend;

/**
 * Rotary embedding with explicit inverse frequencies (default RoPE, YaRN and partial rotary all reduce to this).
 * The first {@code 2·invFreq.length} dimensions of each head rotate, rotate-half pairing (i, i + rotaryDim/2) at
 * angle {@code pos · invFreq[i]}; cos and sin are multiplied by {@code attentionFactor} (YaRN's mscale: the rotated
 * dimensions come out scaled by it, as transformers does). The dimensions past rotaryDim pass through.
 *
 * @param invFreq         (rotaryDim / 2) inverse frequencies, radians per position
 * @param attentionFactor cos/sin multiplier (1 for plain RoPE)
 */
public record RopeFreqs(float[] invFreq, float attentionFactor) {
    public RopeFreqs {
        if (invFreq.length == 0) throw new IllegalArgumentException("rotary embedding with no frequencies");
    }

    /** Dimensions of each head that rotate. */
    public int rotaryDim() {
        return 2 * invFreq.length;
    }

    /** Plain RoPE over all headDim dimensions: theta^(-2i/headDim), computed in f32 as the references do. */
    public static RopeFreqs standard(float theta, int headDim) {
        float[] f = new float[headDim / 2];
        for (int i = 0; i < f.length; i++) f[i] = (float) Math.pow(theta, -2.0 * i / headDim);
        return new RopeFreqs(f, 1f);
    }
}
