// Fuzz target: a chat template (chat_template.jinja, or tokenizer_config.json's "chat_template") loaded and rendered.
package io.strata.engine.fuzz;

import io.strata.engine.chat.ChatMessage;
import io.strata.engine.chat.ChatTemplate;
import io.strata.engine.chat.ChatTemplateException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

public final class ChatTemplateTarget {
    private ChatTemplateTarget() {}

    private static final List<ChatMessage> CHAT = List.of(new ChatMessage("system", "Be brief."),
            new ChatMessage("user", "Hi!"), new ChatMessage("assistant", "Hello."), new ChatMessage("user", "Why?"));

    /** First byte even: the rest is tokenizer_config.json; odd: the rest is chat_template.jinja. */
    public static void fuzzerInitialize() {
        FuzzContract.warmUp("chat-template", ChatTemplateTarget::fuzzerTestOneInput);
    }

    public static void fuzzerTestOneInput(byte[] data) {
        if (data.length == 0) {
            return;
        }
        Path dir = FuzzContract.folder("chat");
        byte[] rest = Arrays.copyOfRange(data, 1, data.length);
        String name = (data[0] & 1) == 0 ? "tokenizer_config.json" : "chat_template.jinja";
        Path f = FuzzContract.write(dir, name, rest);
        FuzzContract.expect(f, () -> {
            ChatTemplate t;
            try {
                t = ChatTemplate.load(dir);
            } catch (java.nio.file.NoSuchFileException none) {
                return; // a config without a template: the documented answer
            }
            t.render(CHAT, true);
        }, ChatTemplateException.class);
    }
}
