// A checkpoint that cannot be used: the message names the file, tensor and expectation.
package io.strata.engine.checkpoint;

public final class CheckpointException extends RuntimeException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
