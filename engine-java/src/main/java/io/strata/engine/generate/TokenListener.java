// Receives generated tokens as they are produced.
package io.strata.engine.generate;

@FunctionalInterface
public interface TokenListener {
    /** Called for each new token; return false to stop generating. */
    boolean onToken(int tokenId);
}
