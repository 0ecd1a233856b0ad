// What to generate: prompt tokens, limits, stop tokens and sampling.
package io.strata.engine.generate;

/**
 * @param prompt       token ids of the prompt (BOS included if wanted)
 * @param maxTokens    new tokens at most
 * @param stopTokens   generation ends after emitting one of these (EOS by default)
 * @param prefillChunk prompt tokens processed per forward pass
 */
public record GenerationRequest(int[] prompt, int maxTokens, int[] stopTokens, SamplingConfig sampling, int prefillChunk) {
    public GenerationRequest {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt: at least one token is needed");
        if (maxTokens < 0) throw new IllegalArgumentException("max tokens must be ≥ 0, found " + maxTokens);
        if (prefillChunk <= 0) prefillChunk = 64;
    }

    public GenerationRequest(int[] prompt, int maxTokens, int[] stopTokens, SamplingConfig sampling) {
        this(prompt, maxTokens, stopTokens, sampling, 64);
    }
}
