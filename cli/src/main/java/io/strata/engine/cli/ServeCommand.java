// strata serve: the OpenAI-compatible HTTP server over one model, on the loopback interface, until interrupted.
package io.strata.engine.cli;

import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.server.StrataServer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve a model over OpenAI-compatible HTTP on 127.0.0.1: /v1/chat/completions, /v1/completions, /v1/models, /health, /metrics.")
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face checkpoint folder or packed store")
    Path model;

    @Option(names = "--port", defaultValue = "8080", description = "TCP port on 127.0.0.1, 0 = any free port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--api-key", description = "require Authorization: Bearer KEY on /v1 requests (default: the STRATA_API_KEY environment variable, else none)")
    String apiKey;

    @Option(names = "--model-name", description = "the id clients name the model by (default: the folder's name)")
    String modelName;

    @Option(names = "--sessions", defaultValue = "4", description = "concurrent generations; further requests queue (default: ${DEFAULT-VALUE})")
    int sessions;

    @Option(names = "--max-body", defaultValue = "1MiB", description = "largest request body accepted (default: ${DEFAULT-VALUE})")
    String maxBody;

    @Option(names = "--chat-template", description = "Jinja chat-template file instead of the model's own")
    Path chatTemplate;

    @Mixin
    ModelOptions opts;

    @Mixin
    StoreOptions storeOpts;

    @Override
    public Integer call() throws Exception {
        String key = apiKey != null ? apiKey : System.getenv("STRATA_API_KEY");
        String name = modelName != null ? modelName : model.toAbsolutePath().normalize().getFileName().toString();
        var engine = opts.engine(storeOpts).toBuilder().chatTemplate(chatTemplate).build();
        var config = new StrataServer.Config(port, key, name, sessions, io.strata.tiering.host.ByteSize.parse(maxBody), 60_000);
        try (StrataModel m = ModelLoader.load(model, engine); StrataServer server = StrataServer.start(m, config)) {
            m.tokenizer(); // a model without a tokenizer cannot serve text: say so before listening
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                stop.countDown();
                server.close();
            }));
            System.err.printf("strata serve: %s as '%s' on %s (%d sessions%s)%n", model, name, server.baseUrl(), sessions,
                    key != null ? ", API key required" : "");
            stop.await();
        }
        return 0;
    }
}
