// Autoregressive generation: chunked prefill, then one token per forward pass with the KV cache.
package io.strata.engine.generate;

import io.strata.engine.backend.KvCache;
import io.strata.engine.model.MoeModel;
import java.util.Arrays;

public final class Generator {
    private final MoeModel model;
    private final int contextLimit;

    /** contextLimit: positions of the KV cache (prompt + generated), at most max_position_embeddings. */
    public Generator(MoeModel model, int contextLimit) {
        this.model = model;
        this.contextLimit = Math.min(contextLimit, model.config().maxPositions());
    }

    public Generator(MoeModel model) {
        this(model, 4096);
    }

    public GenerationResult generate(GenerationRequest req, TokenListener listener) {
        int[] prompt = req.prompt();
        if (prompt.length >= contextLimit) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens does not fit the context of " + contextLimit);
        }
        int vocab = model.config().vocabSize();
        KvCache cache = model.newCache(Math.min(contextLimit, prompt.length + req.maxTokens() + 1));
        try {
            return generate(req, listener, prompt, vocab, cache);
        } finally {
            model.backend().free(cache);  // device memory goes back at once, not when the GC finds it
        }
    }

    private GenerationResult generate(GenerationRequest req, TokenListener listener, int[] prompt, int vocab, KvCache cache) {
        Sampler sampler = new Sampler(req.sampling());
        long t0 = System.nanoTime();
        float[] logits = null;
        for (int p = 0; p < prompt.length; p += req.prefillChunk()) {
            int[] chunk = Arrays.copyOfRange(prompt, p, Math.min(prompt.length, p + req.prefillChunk()));
            logits = model.forward(chunk, p, cache, false);
        }
        int[] out = new int[req.maxTokens()];
        int produced = 0, pos = prompt.length;
        long tFirst = 0;
        String stop = "max-tokens";
        while (produced < req.maxTokens()) {
            int next = sampler.sample(logits, 0, vocab);
            out[produced++] = next;
            if (produced == 1) tFirst = System.nanoTime();
            boolean go = listener == null || listener.onToken(next);
            if (contains(req.stopTokens(), next)) {
                stop = "stop-token";
                break;
            }
            if (!go) {
                stop = "listener";
                break;
            }
            if (produced == req.maxTokens()) break;
            if (pos + 1 > cache.capacity()) {
                stop = "context-full";
                break;
            }
            logits = model.forward(new int[] {next}, pos++, cache, false);
        }
        long tEnd = System.nanoTime();
        if (produced == 0) tFirst = tEnd;
        return new GenerationResult(Arrays.copyOf(out, produced), prompt.length, tFirst - t0, tEnd - tFirst, stop);
    }

    private static boolean contains(int[] a, int v) {
        if (a == null) return false;
        for (int x : a) if (x == v) return true;
        return false;
    }
}
