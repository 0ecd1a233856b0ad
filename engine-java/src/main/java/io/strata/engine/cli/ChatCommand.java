// strata chat: an interactive multi-turn chat in the terminal, rendered with the model's chat template.
package io.strata.engine.cli;

import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.engine.chat.ChatMessage;
import io.strata.engine.chat.ChatTemplate;
import io.strata.engine.generate.GenerationResult;
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
    @Option(names = "--model", required = true, description = "checkpoint folder (with tokenizer.json and tokenizer_config.json)")
    Path model;

    @Option(names = "--system", description = "system prompt")
    String system;

    @Option(names = "--max-tokens", defaultValue = "256")
    int maxTokens;

    @Mixin
    ModelOptions opts;

    @Mixin
    StoreOptions storeOpts;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        try (StrataModel m = ModelLoader.load(model, opts, storeOpts)) {
            ChatTemplate template = ChatTemplate.load(model);
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
                String rendered = template.render(msgs, true);
                // The template writes BOS itself where the model wants it: encode without adding specials.
                int[] ids = m.tokenizer().encode(rendered, false);
                StringBuilder reply = new StringBuilder();
                out.print("assistant> ");
                var dec = m.tokenizer().newStreamDecoder(true);
                GenerationResult r = m.generate(ids, maxTokens, opts.sampling(), id -> {
                    String piece = dec.feed(id);
                    reply.append(piece);
                    out.print(piece);
                    out.flush();
                    return true;
                });
                reply.append(dec.flush());
                out.printf("%n[%d tokens, %.1f tokens/s]%n", r.tokens().length, r.decodeTokensPerSecond());
                msgs.add(new ChatMessage("assistant", reply.toString().strip()));
            }
        }
        return 0;
    }
}
