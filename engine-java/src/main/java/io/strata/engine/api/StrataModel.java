// The library entry point: load a checkpoint or packed store once, serve many sessions, generate and chat.
package io.strata.engine.api;

import io.strata.engine.backend.Backend;
import io.strata.engine.backend.Backends;
import io.strata.engine.chat.ChatTemplate;
import io.strata.engine.checkpoint.Checkpoint;
import io.strata.engine.generate.GenerationResult;
import io.strata.engine.generate.SamplingConfig;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.MoeModel;
import io.strata.engine.store.CheckpointExpertStore;
import io.strata.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.IntPredicate;

/**
 * A loaded model: its weights, expert store, backend and tokenizer, shared by any number of {@link Session}s.
 *
 * <pre>{@code
 * try (StrataModel m = StrataModel.load(Path.of("models/tiny-moe"), EngineOptions.defaults())) {
 *     m.generate("In the beginning", 32, SamplingConfig.GREEDY, System.out::print);
 * }
 * }</pre>
 *
 * <h2>Thread safety</h2>
 * A {@code StrataModel} is safe to use from many threads at once: {@link #newSession()}, the {@code generate}
 * methods, {@link #stats()} and {@link #chatTemplate()} may be called concurrently. The forward passes of all
 * sessions are serialized by one fair lock (one prefill chunk at a time, in arrival order). Decode steps are batched
 * continuously: the decode steps of every session waiting for the lock run as one forward pass
 * ({@link MoeModel#forwardBatch}), so an expert routed by several sessions is loaded and read once for all of them;
 * each session still produces exactly the tokens it would produce alone. Batching is off for a model with routing
 * observers (trace recording, prefetch), whose positions are per sequence, and with {@code -Dstrata.batching=false}. A
 * {@link Session} itself is not thread-safe: use each session from one thread at a time. {@link #close()} must not
 * race with running sessions.
 */
public final class StrataModel implements AutoCloseable {
    private final List<AutoCloseable> resources = new CopyOnWriteArrayList<>();
    private final MoeModel model;
    private final Tokenizer tokenizer;
    private final Path dir;
    private final EngineOptions options;
    private final int context;
    /** Serializes forward passes: the backend's scratch buffers and the store's step clock are shared. */
    private final ReentrantLock stepLock = new ReentrantLock(true);
    private volatile ChatTemplate template;
    // Counters of every session, for stats(): tokens and nanoseconds spent in forward passes.
    private final LongAdder promptTokens = new LongAdder(), generatedTokens = new LongAdder();
    private final LongAdder prefillNanos = new LongAdder(), decodeNanos = new LongAdder(), stepWaitNanos = new LongAdder();
    private final AtomicInteger openSessions = new AtomicInteger();
    /** Decode steps waiting for the step lock; whoever holds it runs them all as one batch. */
    private final java.util.concurrent.ConcurrentLinkedQueue<PendingDecode> pendingDecode = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final LongAdder batchedSteps = new LongAdder(), batchedRows = new LongAdder();
    private static final boolean BATCHING = !"false".equals(System.getProperty("strata.batching"));

    /** One session's decode step: its token at its position over its cache, and where its logits go. */
    private record PendingDecode(int id, int pos, io.strata.engine.backend.KvCache cache,
                                 java.util.concurrent.CompletableFuture<float[]> logits) {}
    private final long createdNanos = System.nanoTime();

    private StrataModel(Path dir, AutoCloseable resources, MoeModel model, Tokenizer tokenizer, EngineOptions options) {
        this.dir = dir;
        this.resources.add(resources);
        this.model = model;
        this.tokenizer = tokenizer;
        this.options = options;
        this.context = Math.min(options.context(), model.config().maxPositions());
    }

    /**
     * Opens a packed store (experts served through the tiers under the options' budgets, policy and prefetch) or a
     * Hugging Face checkpoint folder (config.json + safetensors [+ tokenizer.json]; budgets, policy and prefetch are
     * refused there with the command that packs it).
     *
     * @param dir     a packed store or a checkpoint folder
     * @param options how to serve it ({@link EngineOptions#defaults()} for the defaults)
     * @return the loaded model, to be closed
     * @throws IllegalArgumentException the folder is missing or an option cannot apply to it
     */
    public static StrataModel load(Path dir, EngineOptions options) {
        return ModelLoader.load(dir, options);
    }

    /** A checkpoint folder with its experts mapped from the safetensors (no tiers). */
    static StrataModel loadCheckpoint(Path dir, EngineOptions opt) {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + ": not a folder");
        Checkpoint ck = Checkpoint.open(dir);
        TokenizerLoad tokenizer = TokenizerLoad.start(dir);
        try {
            ModelConfig c = ModelConfig.parse(ck.config(), dir);
            Backend be = Backends.create(opt.backend());
            MoeModel m;
            try {
                // Dense weights first: on a GPU they fix how much VRAM the expert slots get.
                var weights = new io.strata.engine.model.ModelWeights(c, ck, be);
                var vram = ModelLoader.vramTier(be, ModelLoader.denseSlotParts(c, ck), c, opt.context());
                var store = vram == null ? new CheckpointExpertStore(c, ck)
                        : new CheckpointExpertStore(c, ck, vram, opt.policy().equals("lfu") ? new io.strata.tiering.policy.LfuPolicy()
                                : new io.strata.tiering.policy.LruPolicy());
                m = new MoeModel(c, weights, store, be);
            } catch (RuntimeException e) {
                be.close();
                throw e;
            }
            Tokenizer tok = tokenizer.join();
            return new StrataModel(dir, ck, m, tok, opt);
        } catch (IOException e) {
            ck.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            ck.close();
            throw e;
        }
    }

    /**
     * The folder's tokenizer.
     *
     * @param dir a model folder
     * @return its tokenizer.json, or null when it has none (the model then takes token ids only)
     * @throws IOException the tokenizer cannot be read
     */
    public static Tokenizer tokenizerIfPresent(Path dir) throws IOException {
        return Files.exists(dir.resolve("tokenizer.json")) ? Tokenizer.load(dir) : null;
    }

    /**
     * Wraps an assembled model (used by loaders).
     *
     * @param dir       the folder it came from
     * @param resources closed with the model (mapped files, stores)
     * @param model     the forward pass
     * @param tok       its tokenizer, or null
     * @param options   the options it was loaded with
     * @return the model
     */
    public static StrataModel of(Path dir, AutoCloseable resources, MoeModel model, Tokenizer tok, EngineOptions options) {
        return new StrataModel(dir, resources, model, tok, options);
    }

    /** Closes r when this model closes (e.g. a trace recorder). */
    void closeWith(AutoCloseable r) {
        resources.add(r);
    }

    /**
     * A new conversation with its own KV cache of {@link #context()} positions.
     *
     * @return a session, to be closed
     */
    public Session newSession() {
        return new Session(this, context);
    }

    /**
     * The options the model was loaded with.
     *
     * @return the options
     */
    public EngineOptions options() {
        return options;
    }

    /**
     * KV-cache positions of one session.
     *
     * @return the options' context, at most the model's max_position_embeddings
     */
    public int context() {
        return context;
    }

    /**
     * The forward pass (advanced use: calls on it bypass the step lock and the counters).
     *
     * @return the model
     */
    public MoeModel model() {
        return model;
    }

    /**
     * The model's configuration.
     *
     * @return layers, experts, dimensions and vocabulary
     */
    public ModelConfig config() {
        return model.config();
    }

    /**
     * The folder the model was loaded from.
     *
     * @return the folder
     */
    public Path dir() {
        return dir;
    }

    /**
     * The model's tokenizer.
     *
     * @return the tokenizer
     * @throws IllegalStateException the folder has no tokenizer.json
     */
    public Tokenizer tokenizer() {
        if (tokenizer == null) throw new IllegalStateException(dir + ": no tokenizer.json; pass token ids instead of text");
        return tokenizer;
    }

    /**
     * Whether the model takes text.
     *
     * @return true when the folder has a tokenizer.json
     */
    public boolean hasTokenizer() {
        return tokenizer != null;
    }

    /**
     * The chat template: the options' {@code chatTemplate} file when set, else the checkpoint's own
     * (tokenizer_config.json's "chat_template", chat_template.jinja or chat_template.json).
     *
     * @return the template
     * @throws IllegalStateException the model ships no template and none was given
     */
    public ChatTemplate chatTemplate() {
        ChatTemplate t = template;
        if (t != null) return t;
        try {
            t = options.chatTemplate() != null ? ChatTemplate.loadFile(options.chatTemplate(), dir) : ChatTemplate.load(dir);
        } catch (NoSuchFileException e) {
            if (options.chatTemplate() == null && model.config().arch() == io.strata.engine.model.Architecture.GPT_OSS) {
                // gpt-oss speaks only harmony: a checkpoint without its chat_template.jinja gets the built-in rendering
                System.getLogger("strata.chat").log(System.Logger.Level.INFO, dir + ": no chat template; gpt-oss uses the built-in harmony format");
                template = io.strata.engine.chat.HarmonyFormat.template();
                return template;
            }
            throw new IllegalStateException((options.chatTemplate() != null ? options.chatTemplate() : dir)
                    + ": no chat template (" + e.getReason() + "); give one with --chat-template FILE (EngineOptions.chatTemplate)", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        template = t;
        return t;
    }

    /**
     * Encodes text with the tokenizer's special tokens (BOS) added.
     *
     * @param text text to encode
     * @return token ids
     */
    public int[] encode(String text) {
        return tokenizer().encode(text, true);
    }

    /**
     * Stop tokens.
     *
     * @return the tokenizer's EOS ids, else config.json's eos_token_id
     */
    public int[] stopTokens() {
        if (tokenizer != null && tokenizer.eosIds().length > 0) return tokenizer.eosIds();
        return model.config().eosIds();
    }

    /**
     * Generates from token ids in a fresh session until a stop token or maxTokens.
     *
     * @param prompt    token ids
     * @param maxTokens new tokens at most
     * @param s         how tokens are chosen
     * @param onToken   called for each new token; false stops
     * @return the generated tokens and timings
     */
    public GenerationResult generate(int[] prompt, int maxTokens, SamplingConfig s, IntPredicate onToken) {
        try (Session session = sized(prompt.length, maxTokens)) {
            return session.generate(prompt, maxTokens, stopTokens(), s, onToken::test);
        }
    }

    /**
     * Generates exactly maxTokens tokens, ignoring stop tokens (benchmarks).
     *
     * @param prompt    token ids
     * @param maxTokens tokens to generate
     * @param s         how tokens are chosen
     * @return the generated tokens and timings
     */
    public GenerationResult generateFixed(int[] prompt, int maxTokens, SamplingConfig s) {
        try (Session session = sized(prompt.length, maxTokens)) {
            return session.generate(prompt, maxTokens, new int[0], s, null);
        }
    }

    /**
     * As {@link #generateFixed(int[], int, SamplingConfig)}, calling onToken for every token.
     *
     * @param prompt    token ids
     * @param maxTokens tokens to generate
     * @param s         how tokens are chosen
     * @param onToken   called for each new token; false stops
     * @return the generated tokens and timings
     */
    public GenerationResult generateFixed(int[] prompt, int maxTokens, SamplingConfig s, IntPredicate onToken) {
        try (Session session = sized(prompt.length, maxTokens)) {
            return session.generate(prompt, maxTokens, new int[0], s, onToken::test);
        }
    }

    /**
     * A one-shot session no larger than the call needs: a backend may reserve a cache's whole capacity up front
     * (CUDA counts it against the VRAM budget), so a short generation should not claim the full context.
     */
    private Session sized(int promptTokens, int maxTokens) {
        return new Session(this, (int) Math.min(context, (long) promptTokens + maxTokens + 1));
    }

    /**
     * Generates from text in a fresh session, streaming decoded pieces (never half a UTF-8 character) to onText.
     *
     * @param prompt    text to continue (BOS added)
     * @param maxTokens new tokens at most
     * @param s         how tokens are chosen
     * @param onText    receives decoded text pieces
     * @return the generated tokens and timings
     */
    public GenerationResult generate(String prompt, int maxTokens, SamplingConfig s, Consumer<String> onText) {
        try (Session session = newSession()) {
            return session.complete(prompt, maxTokens, s, onText);
        }
    }

    /**
     * Which experts are where now, as the store sees them.
     *
     * @return an immutable snapshot of the fast (VRAM or resident set) and host tiers' contents
     */
    public ExpertResidency residency() {
        stepLock.lock(); // between forward passes: a consistent picture
        try {
            var store = model.store();
            if (store instanceof io.strata.tiering.TieredExpertStore t) {
                return new ExpertResidency(t.fastTier().describe(), t.fastMembers(), t.hostResident(), t.hostSlots());
            }
            if (store instanceof io.strata.engine.store.CheckpointExpertStore c) {
                String tier = model.backend() instanceof io.strata.engine.backend.cuda.CudaBackend cb && cb.fastTier() != null
                        ? cb.fastTier().describe() : "none";
                return new ExpertResidency(tier, c.fastMembers(), List.of(), 0);
            }
            return new ExpertResidency("none", List.of(), List.of(), 0);
        } finally {
            stepLock.unlock();
        }
    }

    /**
     * An immutable snapshot of the counters.
     *
     * @return tokens, time, tokens/s, sessions and (for a packed store) the tiers
     */
    public EngineStats stats() {
        return EngineStats.of(this, promptTokens.sum(), generatedTokens.sum(), prefillNanos.sum(), decodeNanos.sum(),
                stepWaitNanos.sum(), openSessions.get(), stepLock.getQueueLength(), System.nanoTime() - createdNanos);
    }

    // ---- used by Session ----

    /**
     * Runs one forward pass under the step lock and counts it.
     *
     * @param decode true for a one-token decode step, false for a prefill chunk
     */
    float[] step(int[] ids, int pos0, io.strata.engine.backend.KvCache cache, boolean decode) {
        if (decode && ids.length == 1 && BATCHING && !model.hasObservers()) return decodeBatched(ids[0], pos0, cache);
        long t0 = System.nanoTime();
        stepLock.lock();
        try {
            long t1 = System.nanoTime();
            stepWaitNanos.add(t1 - t0);
            float[] logits = model.forward(ids, pos0, cache, false);
            long dt = System.nanoTime() - t1;
            if (decode) decodeNanos.add(dt);
            else {
                prefillNanos.add(dt);
                promptTokens.add(ids.length);
            }
            return logits;
        } finally {
            stepLock.unlock();
        }
    }

    /**
     * Continuous batching by combining: the step is queued, then whoever gets the step lock takes every queued step
     * and runs them as one forward pass; a step some other holder already ran is simply collected. A lone step runs
     * the ordinary single-sequence pass.
     */
    private float[] decodeBatched(int id, int pos, io.strata.engine.backend.KvCache cache) {
        PendingDecode me = new PendingDecode(id, pos, cache, new java.util.concurrent.CompletableFuture<>());
        pendingDecode.add(me);
        long t0 = System.nanoTime();
        stepLock.lock();
        try {
            long t1 = System.nanoTime();
            stepWaitNanos.add(t1 - t0);
            if (!me.logits().isDone()) {  // not taken by an earlier holder: it is still queued, run it with the others
                List<PendingDecode> batch = new java.util.ArrayList<>();
                for (PendingDecode p; (p = pendingDecode.poll()) != null; ) batch.add(p);
                try {
                    int b = batch.size(), vocab = model.config().vocabSize();
                    if (b == 1) {
                        me.logits().complete(model.forward(new int[] {id}, pos, cache, false));
                    } else {
                        int[] ids = new int[b], positions = new int[b];
                        var caches = new io.strata.engine.backend.KvCache[b];
                        for (int i = 0; i < b; i++) {
                            ids[i] = batch.get(i).id();
                            positions[i] = batch.get(i).pos();
                            caches[i] = batch.get(i).cache();
                        }
                        float[] all = model.forwardBatch(ids, positions, caches);
                        for (int i = 0; i < b; i++) batch.get(i).logits().complete(java.util.Arrays.copyOfRange(all, i * vocab, (i + 1) * vocab));
                    }
                    batchedSteps.increment();
                    batchedRows.add(b);
                } catch (RuntimeException | Error e) {
                    for (PendingDecode p : batch) p.logits().completeExceptionally(e);
                }
                decodeNanos.add(System.nanoTime() - t1);
            }
        } finally {
            stepLock.unlock();
        }
        try {
            return me.logits().join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error er) throw er;
            throw e;
        }
    }

    /**
     * How continuous batching went so far.
     *
     * @return {forward passes that ran queued decode steps, the decode steps they held}; the ratio is the mean batch
     */
    public long[] decodeBatches() {
        return new long[] {batchedSteps.sum(), batchedRows.sum()};
    }

    /** Returns a session's KV cache to the backend (device memory on a GPU). */
    void freeCache(io.strata.engine.backend.KvCache cache) {
        stepLock.lock();
        try {
            model.backend().free(cache);
        } finally {
            stepLock.unlock();
        }
    }

    void countGenerated(int n) {
        generatedTokens.add(n);
    }

    io.strata.engine.backend.KvCache newCache(int capacity) {
        stepLock.lock(); // the backend's allocator is not assumed thread-safe
        try {
            return model.newCache(capacity);
        } finally {
            stepLock.unlock();
        }
    }

    void sessionOpened() {
        openSessions.incrementAndGet();
    }

    void sessionClosed() {
        openSessions.decrementAndGet();
    }

    @Override
    public void close() {
        model.close();
        RuntimeException first = null;
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                if (first == null) first = e instanceof RuntimeException re ? re : new RuntimeException(e);
            }
        }
        if (first != null) throw first;
    }
}
