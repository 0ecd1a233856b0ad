// A packed store that cannot be written, opened or read: the message says what, where and why.
package io.strata.tiering.store;

public final class StoreException extends RuntimeException {
    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
