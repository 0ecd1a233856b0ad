// A routing trace that cannot be read: the message names the file, the line and what was expected there.
package io.strata.tiering.trace;

/**
 * Thrown by {@link TraceReader} for malformed trace files. It is an {@link IllegalArgumentException} because a
 * trace is user input given on the command line; callers that already treat bad arguments as one clear error line
 * keep doing so.
 */
public final class TraceFormatException extends IllegalArgumentException {
    public TraceFormatException(String message) {
        super(message);
    }

    public TraceFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
