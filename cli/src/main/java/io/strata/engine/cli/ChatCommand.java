// strata chat: an interactive multi-turn chat in the terminal, rendered with the model's chat template;
// one session keeps the KV cache between turns, so each turn runs only its new tokens.
package io.strata.engine.cli;

import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.Session;
import io.strata.engine.api.StrataModel;
import io.strata.engine.chat.ChatMessage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "chat", mixinStandardHelpOptions = true, description = "Interactive chat using the checkpoint's chat template.")
public final class ChatCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "checkpoint folder or packed store (with tokenizer.json and a chat template)")
    Path model;

    @Option(names = "--chat-template", description = "Jinja chat-template file (or a JSON file with \"chat_template\") instead of the model's own")
    Path chatTemplate;

    @Option(names = "--system", description = "system prompt")
    String system;

    @Option(names = "--max-tokens", defaultValue = "256", description = "new tokens per reply at most (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Mixin
    ModelOptions opts;

    @Mixin
    StoreOptions storeOpts;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        var engine = opts.engine(storeOpts).toBuilder().chatTemplate(chatTemplate).build();
        try (StrataModel m = ModelLoader.load(model, engine); Session session = m.newSession()) {
            m.tokenizer();
            m.chatTemplate(); // fails here, before the prompt, when there is no template
            List<ChatMessage> msgs = new ArrayList<>();
            if (system != null) msgs.add(new ChatMessage("system", system));
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            out.println("chat with " + model.getFileName() + " (empty line or /exit to quit)");
            while (true) {
                out.print("\nyou> ");
                out.flush();
                String line = in.readLine();
                if (line == null || line.isBlank() || line.equals("/exit")) break;
                msgs.add(new ChatMessage("user", line));
                out.print("assistant> ");
                Session.ChatReply r = session.chat(msgs, maxTokens, opts.sampling(), piece -> {
                    out.print(piece);
                    out.flush();
                });
                out.printf("%n[%d tokens, %.1f tokens/s, %d of %d prompt tokens reused]%n", r.result().tokens().length,
                        r.result().decodeTokensPerSecond(), r.reusedTokens(), r.result().promptTokens());
                msgs.add(new ChatMessage("assistant", r.text().strip()));
            }
        }
        return 0;
    }
}
