// The error thrown when a tokenizer.json (or its companion config files) is malformed or uses a
// component Strata does not implement; the message names the file and the component.
package io.strata.engine.tokenizer;

import java.io.IOException;

/** A tokenizer file that cannot be loaded: malformed JSON, a missing field, or an unsupported component. */
public final class TokenizerFormatException extends IOException {
    public TokenizerFormatException(String message) {
        super(message);
    }

    public TokenizerFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
