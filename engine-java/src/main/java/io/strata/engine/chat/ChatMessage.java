// One turn of a conversation as chat templates see it: messages[i].role and messages[i].content.
package io.strata.engine.chat;

import java.util.Objects;

/** A conversation turn: role is "system", "user", "assistant" or "tool"; content is the text. */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }
}
