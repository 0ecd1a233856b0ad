// The error thrown when a chat template cannot be found, parsed or rendered (including the
// template's own raise_exception calls).
package io.strata.engine.chat;

/** A chat template that cannot be loaded or rendered; the message names the file or the template error. */
public final class ChatTemplateException extends RuntimeException {
    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
