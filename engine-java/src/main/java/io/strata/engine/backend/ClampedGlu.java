// The gpt-oss expert activation: biases around the projections and a clamped SwiGLU.
package io.strata.engine.backend;

/**
 * What a gpt-oss expert adds to the plain SwiGLU expert, for one expert:
 * {@code g = gate·x + gateBias, u = up·x + upBias, g' = min(g, limit), u' = clamp(u, −limit, limit),
 * h = (u' + 1) · g' · σ(alpha · g'), y = down·h + downBias}.
 *
 * @param gateBias (intermediate) backend buffer
 * @param upBias   (intermediate) backend buffer
 * @param downBias (hidden) backend buffer
 * @param alpha    sigmoid slope (1.702)
 * @param limit    clamp bound (swiglu_limit, 7)
 */
public record ClampedGlu(Buf gateBias, Buf upBias, Buf downBias, float alpha, float limit) {
    /** The activation of one channel: the scalar specification every backend's kernel follows. */
    public static float apply(float g, float u, float alpha, float limit) {
        g = Math.min(g, limit);
        u = Math.max(-limit, Math.min(u, limit));
        return (u + 1f) * (g / (1f + (float) Math.exp(-alpha * g)));
    }
}
