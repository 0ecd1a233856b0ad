// How the next token is chosen from the logits.
package io.strata.engine.generate;

/**
 * @param temperature 0 (or below) = greedy argmax
 * @param topK        keep the k most likely tokens (0 = all)
 * @param topP        keep the smallest set with cumulative probability ≥ topP (1 = all)
 * @param seed        seed of the sampler's random generator
 */
public record SamplingConfig(float temperature, int topK, float topP, long seed) {
    public static final SamplingConfig GREEDY = new SamplingConfig(0f, 0, 1f, 0);

    public SamplingConfig {
        if (topP <= 0 || topP > 1) throw new IllegalArgumentException("top-p must be in (0, 1], found " + topP);
        if (topK < 0) throw new IllegalArgumentException("top-k must be ≥ 0, found " + topK);
    }
}
