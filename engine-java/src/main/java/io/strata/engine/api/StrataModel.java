// The library entry point: load a checkpoint (or packed store), tokenize, generate with streaming.
package io.strata.engine.api;

import io.strata.engine.backend.Backend;
import io.strata.engine.backend.Backends;
import io.strata.engine.checkpoint.Checkpoint;
import io.strata.engine.generate.GenerationRequest;
import io.strata.engine.generate.GenerationResult;
import io.strata.engine.generate.Generator;
import io.strata.engine.generate.SamplingConfig;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.MoeModel;
import io.strata.engine.store.CheckpointExpertStore;
import io.strata.engine.tokenizer.StreamDecoder;
import io.strata.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * <pre>{@code
 * try (StrataModel m = StrataModel.load(Path.of("models/tiny-moe"), StrataModel.Options.defaults())) {
 *     m.generate("In the beginning", 32, SamplingConfig.GREEDY, System.out::print);
 * }
 * }</pre>
 */
public final class StrataModel implements AutoCloseable {
    /**
     * @param backend  "auto", "cpu" or "cuda"
     * @param context  KV-cache positions (prompt + generated)
     */
    public record Options(String backend, int context) {
        public static Options defaults() {
            return new Options("auto", 4096);
        }

        public Options withBackend(String b) {
            return new Options(b, context);
        }
    }

    private final AutoCloseable resources;
    private final MoeModel model;
    private final Tokenizer tokenizer;
    private final Generator generator;
    private final Path dir;

    private StrataModel(Path dir, AutoCloseable resources, MoeModel model, Tokenizer tokenizer, int context) {
        this.dir = dir;
        this.resources = resources;
        this.model = model;
        this.tokenizer = tokenizer;
        this.generator = new Generator(model, context);
    }

    /** Loads a Hugging Face checkpoint folder (config.json + safetensors [+ tokenizer.json]). */
    public static StrataModel load(Path dir, Options opt) {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + ": not a folder");
        Checkpoint ck = Checkpoint.open(dir);
        try {
            ModelConfig c = ModelConfig.parse(ck.config(), dir);
            Backend be = Backends.create(opt.backend());
            MoeModel m;
            try {
                // Dense weights first: on a GPU they fix how much VRAM the expert slots get.
                var weights = new io.strata.engine.model.ModelWeights(c, ck, be);
                var vram = ModelLoader.vramTier(be, ModelLoader.denseSlotParts(c, ck), c, opt.context());
                var store = vram == null ? new CheckpointExpertStore(c, ck)
                        : new CheckpointExpertStore(c, ck, vram, new io.strata.tiering.policy.LruPolicy());
                m = new MoeModel(c, weights, store, be);
            } catch (RuntimeException e) {
                be.close();
                throw e;
            }
            Tokenizer tok = tokenizerIfPresent(dir);
            return new StrataModel(dir, ck, m, tok, opt.context());
        } catch (IOException e) {
            ck.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            ck.close();
            throw e;
        }
    }

    /** The folder's tokenizer.json, or null when it has none (the model then takes token ids only). */
    public static Tokenizer tokenizerIfPresent(Path dir) throws IOException {
        return Files.exists(dir.resolve("tokenizer.json")) ? Tokenizer.load(dir) : null;
    }

    public static StrataModel of(Path dir, AutoCloseable resources, MoeModel model, Tokenizer tok, int context) {
        return new StrataModel(dir, resources, model, tok, context);
    }

    public MoeModel model() {
        return model;
    }

    public ModelConfig config() {
        return model.config();
    }

    public Path dir() {
        return dir;
    }

    public Tokenizer tokenizer() {
        if (tokenizer == null) throw new IllegalStateException(dir + ": no tokenizer.json; pass token ids instead of text");
        return tokenizer;
    }

    public boolean hasTokenizer() {
        return tokenizer != null;
    }

    /** Token ids of text with the tokenizer's special tokens (BOS) added. */
    public int[] encode(String text) {
        return tokenizer().encode(text, true);
    }

    /** Stop tokens: the tokenizer's EOS ids, else config.json's eos_token_id. */
    public int[] stopTokens() {
        if (tokenizer != null && tokenizer.eosIds().length > 0) return tokenizer.eosIds();
        return model.config().eosIds();
    }

    public GenerationResult generate(int[] prompt, int maxTokens, SamplingConfig s, java.util.function.IntPredicate onToken) {
        return generator.generate(new GenerationRequest(prompt, maxTokens, stopTokens(), s), onToken::test);
    }

    /** Generates exactly maxTokens tokens, ignoring stop tokens (benchmarks). */
    public GenerationResult generateFixed(int[] prompt, int maxTokens, SamplingConfig s) {
        return generator.generate(new GenerationRequest(prompt, maxTokens, new int[0], s), null);
    }

    /** As {@link #generateFixed(int[], int, SamplingConfig)}, calling onToken for every token. */
    public GenerationResult generateFixed(int[] prompt, int maxTokens, SamplingConfig s, java.util.function.IntPredicate onToken) {
        return generator.generate(new GenerationRequest(prompt, maxTokens, new int[0], s), onToken::test);
    }

    /** Generates from text, streaming decoded text pieces (never half a UTF-8 character) to onText. */
    public GenerationResult generate(String prompt, int maxTokens, SamplingConfig s, Consumer<String> onText) {
        StreamDecoder dec = tokenizer().newStreamDecoder(true);
        int[] ids = encode(prompt);
        // Prime the decoder with the prompt so the first piece keeps its leading space.
        for (int id : ids) dec.feed(id);
        GenerationResult r = generate(ids, maxTokens, s, id -> {
            String piece = dec.feed(id);
            if (!piece.isEmpty()) onText.accept(piece);
            return true;
        });
        String rest = dec.flush();
        if (!rest.isEmpty()) onText.accept(rest);
        return r;
    }

    @Override
    public void close() {
        model.close();
        try {
            resources.close();
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
