// The generated tokens and the time it took.
package io.strata.engine.generate;

/**
 * @param tokens        generated ids (stop token included when one ended generation)
 * @param promptTokens  prompt length
 * @param ttftNanos     time to first token: prefill plus the first sample
 * @param decodeNanos   time of the remaining tokens
 * @param stoppedBy     "stop-token", "max-tokens", "listener" or "context-full"
 */
public record GenerationResult(int[] tokens, int promptTokens, long ttftNanos, long decodeNanos, String stoppedBy) {
    /** Decode speed: tokens after the first over their time (0 when fewer than 2 tokens). */
    public double decodeTokensPerSecond() {
        return tokens.length > 1 && decodeNanos > 0 ? (tokens.length - 1) / (decodeNanos / 1e9) : 0;
    }

    public double prefillTokensPerSecond() {
        return ttftNanos > 0 ? promptTokens / (ttftNanos / 1e9) : 0;
    }
}
