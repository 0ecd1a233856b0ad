// One conversation over a shared model: its own KV cache, kept between calls so a new turn runs only new tokens.
package io.strata.engine.api;

import io.strata.engine.backend.KvCache;
import io.strata.engine.chat.ChatMessage;
import io.strata.engine.generate.GenerationResult;
import io.strata.engine.generate.Sampler;
import io.strata.engine.generate.SamplingConfig;
import io.strata.engine.generate.TokenListener;
import io.strata.engine.tokenizer.StreamDecoder;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * A sequence of tokens whose keys and values stay in this session's KV cache. Every call passes the whole
 * sequence it wants to continue (a chat's full conversation, a prompt); the session keeps the longest prefix it
 * already holds and runs the model on the rest only, so a chat turn costs its new tokens, not the conversation.
 * A call whose sequence diverges from the cached one (an edited history, another prompt) rolls back to the
 * common prefix.
 *
 * <p>Not thread-safe: use a session from one thread at a time. Different sessions of one {@link StrataModel} may
 * run on different threads at once (their forward passes interleave step by step, see {@link StrataModel}).
 */
public final class Session implements AutoCloseable {
    /** Prompt tokens per forward pass during prefill. */
    static final int PREFILL_CHUNK = 64;

    private final StrataModel model;
    private final int capacity;       // KV-cache positions
    private KvCache cache;            // allocated on first use
    private int[] tokens = new int[0]; // tokens whose K/V are in cache[0, length)
    private int length;
    private int lastReused;
    private boolean closed;

    Session(StrataModel model, int capacity) {
        this.model = model;
        this.capacity = capacity;
        model.sessionOpened();
    }

    /**
     * The reply of a chat turn.
     *
     * @param text         the reply's text, without the end-of-turn token
     * @param result       its tokens and timings
     * @param reusedTokens prompt tokens found already in the session's cache (not recomputed)
     */
    public record ChatReply(String text, GenerationResult result, int reusedTokens) {}

    /**
     * Positions this session can hold.
     *
     * @return KV-cache positions (prompt + generated)
     */
    public int capacity() {
        return capacity;
    }

    /**
     * Tokens whose keys and values are in the cache now.
     *
     * @return cached positions
     */
    public int cachedTokens() {
        return length;
    }

    /**
     * Prompt tokens the last call found already in the cache.
     *
     * @return tokens not recomputed by the last call
     */
    public int lastReusedTokens() {
        return lastReused;
    }

    /** Forgets the cached sequence (the cache's memory is kept for the next call). */
    public void reset() {
        length = 0;
    }

    /**
     * Continues the conversation: renders messages with the model's chat template (generation prompt added),
     * runs the tokens not already cached and generates the assistant's reply, streaming its text.
     *
     * @param messages  the whole conversation so far (system / user / assistant turns)
     * @param maxTokens new tokens at most
     * @param sampling  how tokens are chosen (seeded per call)
     * @param onText    receives decoded text pieces as they are generated (may be null)
     * @return the reply
     * @throws IllegalArgumentException the rendered conversation does not fit the context
     */
    public ChatReply chat(List<ChatMessage> messages, int maxTokens, SamplingConfig sampling, Consumer<String> onText) {
        String rendered = model.chatTemplate().render(messages, true);
        // The template writes BOS itself where the model wants it: encode without adding specials.
        int[] ids = model.tokenizer().encode(rendered, false);
        StringBuilder text = new StringBuilder();
        StreamDecoder dec = model.tokenizer().newStreamDecoder(true);
        int[] stops = model.stopTokens();
        io.strata.engine.chat.HarmonyChannels harmony = harmonyChannels();
        GenerationResult r = generate(ids, maxTokens, stops, sampling, id -> {
            if (contains(stops, id)) return true; // the end-of-turn token is not part of the reply
            if (harmony != null && !harmony.show(id)) return true; // gpt-oss: only the final channel is the reply
            String piece = dec.feed(id);
            if (!piece.isEmpty()) {
                text.append(piece);
                if (onText != null) onText.accept(piece);
            }
            return true;
        });
        String rest = dec.flush();
        if (!rest.isEmpty()) {
            text.append(rest);
            if (onText != null) onText.accept(rest);
        }
        return new ChatReply(text.toString(), r, lastReused);
    }

    /** gpt-oss with harmony's special tokens in its tokenizer: the filter of its final channel, else null. */
    private io.strata.engine.chat.HarmonyChannels harmonyChannels() {
        if (model.config().arch() != io.strata.engine.model.Architecture.GPT_OSS) return null;
        var tok = model.tokenizer();
        int[] ids = new int[4];
        String[] names = {"<|channel|>", "<|message|>", "<|end|>", "<|start|>"};
        for (int i = 0; i < 4; i++) {
            int[] e = tok.encode(names[i], false);
            if (e.length != 1) return null; // not a harmony tokenizer: show everything
            ids[i] = e[0];
        }
        return new io.strata.engine.chat.HarmonyChannels(ids[0], ids[1], ids[2], ids[3], id -> tok.decode(new int[] {id}, false));
    }

    /**
     * As {@link #chat(List, int, SamplingConfig, Consumer)} with the rest of the context as the token limit.
     *
     * @param messages the whole conversation so far
     * @param sampling how tokens are chosen
     * @param onText   receives decoded text pieces (may be null)
     * @return the reply
     */
    public ChatReply chat(List<ChatMessage> messages, SamplingConfig sampling, Consumer<String> onText) {
        return chat(messages, Integer.MAX_VALUE, sampling, onText);
    }

    /**
     * Completes text (BOS added) until a stop token or maxTokens, streaming decoded pieces (never half a UTF-8
     * character) to onText.
     *
     * @param prompt    text to continue
     * @param maxTokens new tokens at most
     * @param s         how tokens are chosen
     * @param onText    receives decoded text pieces
     * @return the generated tokens and timings
     */
    public GenerationResult complete(String prompt, int maxTokens, SamplingConfig s, Consumer<String> onText) {
        StreamDecoder dec = model.tokenizer().newStreamDecoder(true);
        int[] ids = model.encode(prompt);
        // Prime the decoder with the prompt so the first piece keeps its leading space.
        for (int id : ids) dec.feed(id);
        GenerationResult r = generate(ids, maxTokens, model.stopTokens(), s, id -> {
            String piece = dec.feed(id);
            if (!piece.isEmpty()) onText.accept(piece);
            return true;
        });
        String rest = dec.flush();
        if (!rest.isEmpty()) onText.accept(rest);
        return r;
    }

    /**
     * Generates after the token sequence {@code sequence}, reusing the cached prefix it shares with this session.
     * Sampling is seeded per call, so a call gives the same tokens whatever ran before it in this or other sessions.
     *
     * @param sequence   the whole sequence to continue (≥ 1 token)
     * @param maxTokens  new tokens at most (clipped to the room left in the context)
     * @param stopTokens generation ends after emitting one of these
     * @param sampling   how tokens are chosen
     * @param listener   called for each new token; false stops (may be null)
     * @return the generated tokens and timings
     * @throws IllegalArgumentException the sequence does not fit the context, or maxTokens is negative
     */
    public GenerationResult generate(int[] sequence, int maxTokens, int[] stopTokens, SamplingConfig sampling, TokenListener listener) {
        if (closed) throw new IllegalStateException("session is closed");
        if (sequence.length == 0) throw new IllegalArgumentException("empty prompt: at least one token is needed");
        if (maxTokens < 0) throw new IllegalArgumentException("max tokens must be ≥ 0, found " + maxTokens);
        if (sequence.length >= capacity) {
            throw new IllegalArgumentException("prompt of " + sequence.length + " tokens does not fit the context of " + capacity
                    + " positions (at least one must stay free for generation)");
        }
        if (cache == null) cache = model.newCache(capacity);
        int vocab = model.config().vocabSize();
        Sampler sampler = new Sampler(sampling);
        long t0 = System.nanoTime();
        // The longest cached prefix; the last prompt token always runs again, its logits start generation.
        int keep = 0;
        int limit = Math.min(length, sequence.length - 1);
        while (keep < limit && tokens[keep] == sequence[keep]) keep++;
        lastReused = keep;
        length = keep;
        ensureTokens(sequence.length + Math.min(maxTokens, capacity));
        float[] logits = null;
        for (int p = keep; p < sequence.length; p += PREFILL_CHUNK) {
            int[] chunk = Arrays.copyOfRange(sequence, p, Math.min(sequence.length, p + PREFILL_CHUNK));
            logits = model.step(chunk, p, cache, false);
            System.arraycopy(chunk, 0, tokens, p, chunk.length);
            length = p + chunk.length;
        }
        int max = (int) Math.min(maxTokens, (long) capacity - sequence.length);
        int[] out = new int[Math.min(max, 1024)];
        int produced = 0;
        long tFirst = 0;
        String stop = maxTokens > max ? "context-full" : "max-tokens";
        try {
            while (produced < max) {
                int next = sampler.sample(logits, 0, vocab);
                if (produced == out.length) out = Arrays.copyOf(out, Math.min(max, 2 * out.length));
                out[produced++] = next;
                if (produced == 1) tFirst = System.nanoTime();
                boolean go = listener == null || listener.onToken(next);
                if (contains(stopTokens, next)) {
                    stop = "stop-token";
                    break;
                }
                if (!go) {
                    stop = "listener";
                    break;
                }
                if (produced == max) break;
                logits = model.step(new int[] {next}, length, cache, true);
                tokens[length++] = next;
            }
        } finally {
            model.countGenerated(produced);
        }
        long tEnd = System.nanoTime();
        if (produced == 0) tFirst = tEnd;
        return new GenerationResult(Arrays.copyOf(out, produced), sequence.length, tFirst - t0, tEnd - tFirst, stop);
    }

    private void ensureTokens(long n) {
        int want = (int) Math.min(capacity, n);
        if (tokens.length < want) tokens = Arrays.copyOf(tokens, want);
    }

    private static boolean contains(int[] a, int v) {
        if (a == null) return false;
        for (int x : a) if (x == v) return true;
        return false;
    }

    /** Releases the cache; the session cannot be used afterwards. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (cache != null) model.freeCache(cache);
        cache = null;
        tokens = new int[0];
        length = 0;
        model.sessionClosed();
    }
}
