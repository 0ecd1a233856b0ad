// The decoder forward pass of the supported MoE families, written once against the Backend seam.
package io.strata.engine.model;

import io.strata.engine.backend.Backend;
import io.strata.engine.backend.Buf;
import io.strata.engine.backend.ClampedGlu;
import io.strata.engine.backend.KvCache;
import io.strata.engine.checkpoint.WeightSource;
import io.strata.engine.hybrid.PathCounts;
import io.strata.engine.hybrid.StepPlanner;
import io.strata.engine.moe.Router;
import io.strata.engine.moe.RoutingObserver;
import io.strata.tiering.ExpertHandle;
import io.strata.tiering.ExpertLayout;
import io.strata.tiering.ExpertStore;
import io.strata.tiering.Residency;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * token ids → embedding → per layer: RMSNorm → attention (KV cache) → residual → RMSNorm →
 * router → top-k plan → experts from the store → weighted combine (+ shared expert) → residual
 * → final norm → logits. Routed experts come from {@link ExpertStore#acquire}; the model never
 * knows which tier served them.
 */
public final class MoeModel implements AutoCloseable {
    private final ModelConfig config;
    private final Backend backend;
    private final ModelWeights weights;
    private final ExpertStore store;
    private final List<RoutingObserver> observers = new CopyOnWriteArrayList<>();
    private RunState run; // activations, allocated once and grown only for a longer chunk (guarded by this)
    private final PathCounts paths = new PathCounts();
    private final boolean floeStore; // the store's experts are FloE blobs: a miss moves rows only
    private volatile StepPlan stepPlan; // null: every expert through the store's default placement
    private volatile boolean expertsSideBySide = true; // see expertsSideBySide(...)
    private final java.util.concurrent.atomic.AtomicLong sideBySideLayers = new java.util.concurrent.atomic.AtomicLong();

    /** The planner of each layer's expert paths, with what it needs to know of the store's (uniform) experts. */
    private record StepPlan(StepPlanner planner, long expertBytes, String layout, boolean floe) {}
    private final MlaAttention mla; // latent attention of DeepSeek-V2/V3, or null (guarded by this)
    private final float[] ropeFreq; // (rotated dims / 2) rotary frequencies (YaRN, partial), null for the default RoPE

    public MoeModel(ModelConfig config, WeightSource dense, ExpertStore store, Backend backend) {
        this(config, new ModelWeights(config, dense, backend), store, backend);
    }

    /**
     * With dense weights already made resident on {@code backend} (a GPU loader uploads them before it sizes the
     * VRAM tier of the store from what they leave). Fails when the backend cannot compute the store's expert layouts.
     */
    public MoeModel(ModelConfig config, ModelWeights weights, ExpertStore store, Backend backend) {
        this.config = config;
        this.backend = backend;
        this.store = store;
        this.weights = weights;
        this.floeStore = store.layouts().stream().anyMatch(l -> l instanceof ExpertLayout.Floe);
        this.mla = config.mla() != null ? new MlaAttention(config, backend) : null;
        this.ropeFreq = config.rotary().plain() ? null : config.rope().invFreq();
        for (ExpertLayout l : store.layouts()) {
            if (!backend.supports(l)) {
                throw new IllegalArgumentException("backend " + backend.name() + " cannot compute experts stored as " + l.name());
            }
        }
    }

    /**
     * The activation buffers of one forward pass for chunks of up to {@code n} tokens, allocated once (as llama2.c's
     * RunState) and reused by every step; shapes per token in the comments.
     */
    private static final class RunState {
        final int n;
        final Buf x, xn;      // (n, hidden) residual stream and its normalised copy
        final Buf q, att;     // (n, heads·headDim)
        final Buf k, v;       // (n, kvHeads·headDim)
        final Buf o;          // (n, hidden) attention / FFN output
        final Buf rl;         // (n, experts) router logits
        final Buf xe, ye;     // (n, hidden) one expert's gathered input and output
        final Buf ys;         // (n, hidden) shared expert output
        final Buf ya;         // (n·topK, hidden) every routed expert's output, when a step plan puts some on the CPU
        final Buf g;          // (n) shared expert gate
        final Buf logits;     // (n, vocab)

        RunState(Backend be, ModelConfig c, int n) {
            this.n = n;
            int h = c.hidden();
            x = be.alloc(n * h);
            xn = be.alloc(n * h);
            q = be.alloc(n * c.qDim());
            att = be.alloc(n * c.qDim());
            k = be.alloc(n * c.kvDim());
            v = be.alloc(n * c.kvDim());
            o = be.alloc(n * h);
            rl = be.alloc(n * Math.max(1, c.numExperts()));
            xe = be.alloc(n * h);
            ye = be.alloc(n * h);
            ys = be.alloc(n * h);
            ya = be.alloc(n * Math.max(1, c.topK()) * h);
            g = be.alloc(n);
            logits = be.alloc(n * c.vocabSize());
        }

        void free(Backend be) {
            for (Buf b : new Buf[] {x, xn, q, att, k, v, o, rl, xe, ye, ys, ya, g, logits}) be.free(b);
        }
    }

    /** The run state for chunks of n tokens: the existing one if large enough, else a new one (the old one freed). */
    private RunState runState(int n) {
        if (run == null || run.n < n) {
            if (run != null) run.free(backend);
            run = new RunState(backend, config, Math.max(n, 1));
        }
        return run;
    }

    public ModelConfig config() {
        return config;
    }

    public Backend backend() {
        return backend;
    }

    public ExpertStore store() {
        return store;
    }

    public ModelWeights weights() {
        return weights;
    }

    /**
     * Plans each layer's missed experts with {@code planner} (copy to the fast tier, or compute on {@link Backend#host}
     * from host memory while the backend computes the others); null turns planning off. The store's experts are
     * {@code expertBytes} each, of layout {@code layout}.
     */
    public void planner(StepPlanner planner, long expertBytes, ExpertLayout layout) {
        stepPlan = planner == null ? null : new StepPlan(planner, expertBytes, layout.name(), layout instanceof ExpertLayout.Floe);
    }

    /**
     * Whether a step of several tokens (a prompt, or a batch of sessions) whose experts are all in memory computes them
     * side by side, one expert per thread (true, the default, where the backend can: {@link Backend#concurrentExperts}),
     * or one after another with each product split over the threads (false). The two give the same bits; the switch is
     * there to compare them.
     */
    public void expertsSideBySide(boolean on) {
        expertsSideBySide = on;
    }

    /** How many layers of steps so far computed their experts side by side. */
    long sideBySideLayers() {
        return sideBySideLayers.get();
    }

    /** How many routed experts took each path so far (VRAM hit, prefetched, copied, CPU, FloE rows). */
    public PathCounts.Snapshot paths() {
        return paths.snapshot();
    }

    public void addObserver(RoutingObserver o) {
        observers.add(o);
    }

    public void removeObserver(RoutingObserver o) {
        observers.remove(o);
    }

    /** A KV cache for one sequence: the compressed latent cache for MLA models, keys and values otherwise. */
    public KvCache newCache(int capacity) {
        if (config.mla() != null) {
            return backend.newLatentCache(config.numLayers(), capacity, config.mla().kvLoraRank(), config.mla().qkRopeHeadDim());
        }
        return backend.newKvCache(config.numLayers(), capacity, config.numKvHeads(), config.headDim());
    }


    /**
     * o (n, hidden) = attention of layer l over xn (n, hidden), tokens at pos0.., storing their keys/values (or
     * latents) in cache; q, k, v, att are scratch.
     */
    private void attention(int l, ModelWeights.Layer L, Buf xn, int n, int pos0, KvCache cache, Buf q, Buf k, Buf v, Buf att, Buf o) {
        ModelConfig c = config;
        if (mla != null) {
            mla.forward(l, L, xn, n, pos0, (io.strata.engine.backend.LatentCache) cache, o);
            return;
        }
        qkv(L, xn, n, q, k, v);
        rope(q, n, c.numHeads(), pos0);
        rope(k, n, c.numKvHeads(), pos0);
        backend.kvStore(cache, l, pos0, n, k, v);
        backend.attention(q, cache, l, pos0, n, c.numHeads(), att, window(l), L.sinks);
        backend.matmul(L.wo, att, n, o);
        if (L.bo != null) backend.addBias(o, L.bo, n, c.hidden());
    }

    /**
     * Runs tokens ids at positions pos0 .. pos0+n-1 through the model, filling cache.
     *
     * @param allLogits return logits of every token (n, vocab) instead of only the last (vocab)
     */
    public synchronized float[] forward(int[] ids, int pos0, KvCache cache, boolean allLogits) {
        ModelConfig c = config;
        Backend be = backend;
        int n = ids.length, h = c.hidden(), qd = c.qDim(), kvd = c.kvDim();
        RunState rs = runState(n);
        Buf x = rs.x.slice(0, n * h), xn = rs.xn.slice(0, n * h);
        Buf q = rs.q.slice(0, n * qd), k = rs.k.slice(0, n * kvd), v = rs.v.slice(0, n * kvd), att = rs.att.slice(0, n * qd);
        Buf o = rs.o.slice(0, n * h);
        be.embed(weights.embed, ids, x);
        store.beginStep(pos0 + n - 1); // the eviction policies' clock counts tokens
        paths.step();
        for (int l = 0; l < c.numLayers(); l++) {
            ModelWeights.Layer L = weights.layers[l];
            // ---- attention ----
            be.rmsnorm(x, L.inputNorm, xn, n, h, c.rmsEps());
            attention(l, L, xn, n, pos0, cache, q, k, v, att, o);
            be.axpy(x, o, 1f, n * h);
            feedForward(l, L, x, xn, n, pos0, o, rs);
        }
        int first = allLogits ? 0 : n - 1, m = allLogits ? n : 1;
        Buf last = x.slice(first * h, m * h);
        be.rmsnorm(last, weights.finalNorm, last, m, h, c.rmsEps());
        Buf logits = rs.logits.slice(0, m * c.vocabSize());
        be.matmul(weights.lmHead, last, m, logits);
        float[] out = new float[m * c.vocabSize()];
        be.read(logits, out, 0, out.length);
        return out;
    }

    /** Rotary embedding in place on x (n, heads, headDim) at positions pos0..: the default RoPE or the scaled table. */
    private void rope(Buf x, int n, int heads, int pos0) {
        ModelConfig c = config;
        if (c.rotary().plain()) backend.rope(x, n, heads, c.headDim(), pos0, c.ropeTheta());
        else if (c.rope().dim() == c.headDim()) backend.rope(x, n, heads, c.headDim(), pos0, ropeFreq, c.rope().attentionFactor());
        else backend.rope(x, n, heads, c.headDim(), pos0, c.rotary().freqs()); // partial rotary (GLM-4.5)
    }

    /** Keys a query of layer l sees (its own position included): the sliding window, or 0 for all. */
    private int window(int l) {
        return config.slidingLayer() != null && config.slidingLayer()[l] ? config.slidingWindow() : 0;
    }

    /** q (n, qDim), k, v (n, kvDim) from xn (n, hidden): projections, biases, the q/k norms and the clamp. */
    private void qkv(ModelWeights.Layer L, Buf xn, int n, Buf q, Buf k, Buf v) {
        ModelConfig c = config;
        Backend be = backend;
        int qd = c.qDim(), kvd = c.kvDim();
        be.matmul(L.wq, xn, n, q);
        be.matmul(L.wk, xn, n, k);
        be.matmul(L.wv, xn, n, v);
        if (L.bq != null) {
            be.addBias(q, L.bq, n, qd);
            be.addBias(k, L.bk, n, kvd);
            be.addBias(v, L.bv, n, kvd);
        }
        if (c.arch() == Architecture.QWEN3_MOE || c.qkNorm()) { // per-head norm over head_dim
            be.rmsnorm(q, L.qNorm, q, n * c.numHeads(), c.headDim(), c.rmsEps());
            be.rmsnorm(k, L.kNorm, k, n * c.numKvHeads(), c.headDim(), c.rmsEps());
        } else if (c.arch() == Architecture.OLMOE) { // norm over the whole projection
            be.rmsnorm(q, L.qNorm, q, n, qd, c.rmsEps());
            be.rmsnorm(k, L.kNorm, k, n, kvd, c.rmsEps());
        }
        if (!Float.isNaN(c.clipQkv())) { // OLMoE: clamp q, k (normed) and v
            be.clamp(q, n * qd, -c.clipQkv(), c.clipQkv());
            be.clamp(k, n * kvd, -c.clipQkv(), c.clipQkv());
            be.clamp(v, n * kvd, -c.clipQkv(), c.clipQkv());
        }
    }

    /** x (n, hidden) += FFN(RMSNorm(x)): the MoE block or the dense FFN of layer l; xn and o are scratch. */
    private void feedForward(int l, ModelWeights.Layer L, Buf x, Buf xn, int n, int pos0, Buf o, RunState rs) {
        ModelConfig c = config;
        backend.rmsnorm(x, L.postNorm, xn, n, c.hidden(), c.rmsEps());
        if (c.moeLayer()[l]) {
            moe(l, L, xn, n, pos0, o, rs);
        } else {
            backend.denseFfn(L.dense, xn, n, o);
        }
        backend.axpy(x, o, 1f, n * c.hidden());
    }

    /**
     * One decode step of several sequences at once (continuous batching): token ids[t] of sequence t at position
     * pos[t], with its own KV cache caches[t]. Attention runs per sequence; everything else, the MoE block above all,
     * runs on the B rows together, so an expert routed by several sequences is acquired and read once for all of
     * them. Each row's result equals what {@link #forward} gives that sequence alone (the kernels' results do not
     * depend on how rows are grouped). Returns the logits (B, vocab). Routing observers hear of the batch as rows
     * from pos[0]; callers batch only models without observers (see StrataModel).
     */
    public synchronized float[] forwardBatch(int[] ids, int[] pos, KvCache[] caches) {
        ModelConfig c = config;
        Backend be = backend;
        int n = ids.length, h = c.hidden(), qd = c.qDim(), kvd = c.kvDim();
        if (pos.length != n || caches.length != n || n == 0) {
            throw new IllegalArgumentException("expected one position and one cache per token, found " + n + " tokens, "
                    + pos.length + " positions, " + caches.length + " caches");
        }
        RunState rs = runState(n);
        Buf x = rs.x.slice(0, n * h), xn = rs.xn.slice(0, n * h);
        Buf q = rs.q.slice(0, n * qd), k = rs.k.slice(0, n * kvd), v = rs.v.slice(0, n * kvd), att = rs.att.slice(0, n * qd);
        Buf o = rs.o.slice(0, n * h);
        be.embed(weights.embed, ids, x);
        int last = 0;
        for (int p : pos) last = Math.max(last, p);
        store.beginStep(last); // the eviction policies' clock counts tokens
        paths.step();
        for (int l = 0; l < c.numLayers(); l++) {
            ModelWeights.Layer L = weights.layers[l];
            be.rmsnorm(x, L.inputNorm, xn, n, h, c.rmsEps());
            if (mla != null) { // latent attention per sequence, each over its own cache
                for (int t = 0; t < n; t++) {
                    mla.forward(l, L, xn.slice(t * h, h), 1, pos[t], (io.strata.engine.backend.LatentCache) caches[t], o.slice(t * h, h));
                }
            } else {
                qkv(L, xn, n, q, k, v);
                for (int t = 0; t < n; t++) { // each sequence at its own position, over its own cache
                    Buf qt = q.slice(t * qd, qd), kt = k.slice(t * kvd, kvd), vt = v.slice(t * kvd, kvd);
                    rope(qt, 1, c.numHeads(), pos[t]);
                    rope(kt, 1, c.numKvHeads(), pos[t]);
                    be.kvStore(caches[t], l, pos[t], 1, kt, vt);
                    be.attention(qt, caches[t], l, pos[t], 1, c.numHeads(), att.slice(t * qd, qd), window(l), L.sinks);
                }
                be.matmul(L.wo, att, n, o);
                if (L.bo != null) be.addBias(o, L.bo, n, h);
            }
            be.axpy(x, o, 1f, n * h);
            feedForward(l, L, x, xn, n, pos[0], o, rs);
        }
        be.rmsnorm(x, weights.finalNorm, x, n, h, c.rmsEps());
        Buf logits = rs.logits.slice(0, n * c.vocabSize());
        be.matmul(weights.lmHead, x, n, logits);
        float[] out = new float[n * c.vocabSize()];
        be.read(logits, out, 0, out.length);
        return out;
    }

    /** Whether any routing observer (trace recorder, prefetcher) is attached. */
    public boolean hasObservers() {
        return !observers.isEmpty();
    }

    /** out (n, hidden) = Σ_k w_k · expert_k(xn) (+ σ(g·xn) · shared(xn)). */
    private void moe(int l, ModelWeights.Layer L, Buf xn, int n, int pos0, Buf out, RunState rs) {
        ModelConfig c = config;
        Backend be = backend;
        int h = c.hidden(), E = c.numExperts(), K = c.topK();
        for (RoutingObserver ob : observers) ob.beforeRouting(l, pos0, n, xn);
        Buf rl = rs.rl.slice(0, n * E);
        be.matmul(L.router, xn, n, rl);
        if (L.routerBias != null) be.addBias(rl, L.routerBias, n, E);
        float[] logits = new float[n * E];
        be.read(rl, logits, 0, logits.length);
        int[][] ids = new int[n][K];
        float[][] ws = new float[n][K];
        for (int t = 0; t < n; t++) Router.route(c.router(), logits, t * E, E, K, L.scoreBias, ids[t], ws[t]);
        // Group tokens by expert: each expert's weights are read once for all its tokens.
        List<List<Integer>> rowsOf = new ArrayList<>(E);
        List<List<Float>> wOf = new ArrayList<>(E);
        for (int e = 0; e < E; e++) {
            rowsOf.add(new ArrayList<>());
            wOf.add(new ArrayList<>());
        }
        List<Integer> order = new ArrayList<>(); // experts in first-use order (rank order for n = 1)
        for (int t = 0; t < n; t++) {
            for (int j = 0; j < K; j++) {
                int e = ids[t][j];
                if (rowsOf.get(e).isEmpty()) order.add(e);
                rowsOf.get(e).add(t);
                wOf.get(e).add(ws[t][j]);
            }
        }
        // Ask for every planned expert before waiting on the first, so their loads overlap. The
        // store keeps requested experts from speculative eviction until they are acquired.
        store.request(l, ints(order));
        // Observers (prefetchers among them) hear of the plan before this layer waits for its
        // misses: their hints for the next layers queue behind these demand loads, and their reads
        // start as soon as a loader thread is free instead of after this layer's last miss.
        for (RoutingObserver ob : observers) ob.onRouted(l, pos0, ids, ws);
        int m = order.size();
        Residency[] where = new Residency[m];
        for (int i = 0; i < m; i++) where[i] = store.residency(l, order.get(i));
        StepPlanner.Path[] path = plan(where, order, rowsOf, L.gateBias == null);
        be.zero(out, n * h);
        boolean anyCpu = false;
        for (StepPlanner.Path p : path) anyCpu |= p == StepPlanner.Path.CPU;
        if (!anyCpu) {
            deviceExperts(l, L, order, rowsOf, wOf, xn, n, out, rs, where, path, null);
        } else {
            // The CPU's experts read this copy of xn, taken while the device is idle (the router's read waited for
            // it). The device's experts are queued first and run while the CPU computes. Every expert's output is
            // kept apart and they are summed in first-use order, as without a plan: the sum's order does not depend on
            // which path each took.
            float[] hx = new float[n * h];
            be.read(xn, hx, 0, n * h);
            int[] at = new int[m]; // each expert's first row in ya
            for (int i = 1; i < m; i++) at[i] = at[i - 1] + rowsOf.get(order.get(i - 1)).size();
            Buf ya = rs.ya.slice(0, (at[m - 1] + rowsOf.get(order.get(m - 1)).size()) * h);
            deviceExperts(l, L, order, rowsOf, wOf, xn, n, ya, rs, where, path, at);
            hostExperts(l, order, rowsOf, hx, path, ya, at);
            for (int i = 0; i < m; i++) {
                int e = order.get(i);
                int[] rows = ints(rowsOf.get(e));
                be.scatterAddRows(ya.slice(at[i] * h, rows.length * h), rows, floats(wOf.get(e)), h, out);
            }
        }
        if (L.shared != null) {
            Buf ys = rs.ys.slice(0, n * h), g = rs.g.slice(0, n);
            be.denseFfn(L.shared, xn, n, ys);
            if (L.sharedGate == null) { // DeepSeek / GLM: shared experts added as they are
                be.axpy(out, ys, 1f, n * h);
            } else {
                be.matmul(L.sharedGate, xn, n, g);
                float[] gate = new float[n];
                be.read(g, gate, 0, n);
                int[] rows = new int[n];
                for (int t = 0; t < n; t++) {
                    rows[t] = t;
                    gate[t] = (float) (1.0 / (1.0 + Math.exp(-gate[t])));
                }
                be.scatterAddRows(ys, rows, gate, h, out);
            }
        }
    }

    /**
     * Each routed expert's path: the planner's choice where one is set; otherwise what the store's default placement
     * gives (a fast member is a hit, anything else is copied to the fast tier, FloE moves rows). gpt-oss layers are
     * never planned onto the CPU ({@code cpuPossible} false): their expert biases live with the backend.
     */
    private StepPlanner.Path[] plan(Residency[] where, List<Integer> order, List<List<Integer>> rowsOf, boolean cpuPossible) {
        int m = where.length;
        StepPlan sp = stepPlan;
        if (sp != null && cpuPossible) {
            long[] bytes = new long[m];
            String[] layout = new String[m];
            boolean[] floe = new boolean[m];
            int[] tokens = new int[m];
            for (int i = 0; i < m; i++) {
                bytes[i] = sp.expertBytes();
                layout[i] = sp.layout();
                floe[i] = sp.floe();
                tokens[i] = rowsOf.get(order.get(i)).size();
            }
            return sp.planner().plan(where, bytes, layout, floe, tokens).paths();
        }
        StepPlanner.Path[] p = new StepPlanner.Path[m];
        for (int i = 0; i < m; i++) {
            p[i] = switch (where[i]) {
                case FAST -> StepPlanner.Path.HIT;
                case FAST_PREFETCHED -> StepPlanner.Path.PREFETCHED;
                default -> floeStore ? StepPlanner.Path.FLOE : StepPlanner.Path.COPY;
            };
        }
        return p;
    }

    /**
     * The experts not planned for the CPU, through the backend, in first-use order; each acquire asks the store for a
     * fast copy. Without {@code at}, each output is added into {@code out} (weighted) as it is computed; with it, expert
     * i's output goes to rows {@code at[i]..} of {@code out} for a later ordered sum. Each expert is acquired just
     * before it is computed, so the step waits only for the expert it computes next: the store's request() of the
     * step queued every miss, and the experts computed first overlap the loads of the later ones (acquiring them all
     * first made a step with misses wait for its last load before computing anything). A decode step (at most top-k
     * experts) keeps each pin to the end of the step, so the store sees the same pins in the same order as the trace
     * replay's step pinning; a prefill step may route more experts than the store has slots, so it releases each
     * expert after computing it.
     */
    private void deviceExperts(int l, ModelWeights.Layer L, List<Integer> order, List<List<Integer>> rowsOf,
                               List<List<Float>> wOf, Buf xn, int n, Buf out, RunState rs, Residency[] where, StepPlanner.Path[] path,
                               int[] at) {
        Backend be = backend;
        int h = config.hidden();
        List<Integer> run = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) if (path[i] != StepPlanner.Path.CPU) run.add(i);
        if (n > 1 && sideBySide(where, run)) {
            expertsSideBySide(l, L, order, rowsOf, wOf, xn, n, out, rs, path, at, run);
            return;
        }
        ExpertHandle[] held = order.size() <= config.topK() ? new ExpertHandle[run.size()] : null;
        try {
            for (int j = 0; j < run.size(); j++) {
                int i = run.get(j), e = order.get(i);
                int[] rows = ints(rowsOf.get(e));
                Buf xe = xn, ye = at != null ? out.slice(at[i] * h, rows.length * h) : rs.ye.slice(0, rows.length * h);
                if (rows.length != n) {
                    xe = rs.xe.slice(0, rows.length * h);
                    be.gatherRows(xn, rows, h, xe);
                }
                ExpertHandle handle = store.acquire(l, e, ExpertStore.Placement.FAST);
                try {
                    paths.add(served(path[i], handle));
                    expertFfn(L, e, handle, xe, rows.length, ye);
                } finally {
                    if (held != null) held[j] = handle;
                    else handle.close();
                }
                if (at == null) be.scatterAddRows(ye, rows, floats(wOf.get(e)), h, out);
            }
        } finally {
            if (held != null) for (ExpertHandle hd : held) if (hd != null) hd.close();
        }
    }

    /** Expert e of layer L (its handle h) on xe (r, hidden) into ye on the backend: gpt-oss's with its biases and clamped SwiGLU. */
    private void expertFfn(ModelWeights.Layer L, int e, ExpertHandle h, Buf xe, int r, Buf ye) {
        if (L.gateBias == null) {
            backend.expertFfn(h, xe, r, ye);
        } else {
            int I = config.expertIntermediate(), hd = config.hidden();
            backend.expertFfn(h, xe, r, ye, new ClampedGlu(L.gateBias.slice(e * I, I), L.upBias.slice(e * I, I),
                    L.downBias.slice(e * hd, hd), ModelConfig.GPT_OSS_SWIGLU_ALPHA, config.swigluLimit()));
        }
    }

    /**
     * Whether this step's experts {@code run} are computed side by side, one expert per thread
     * ({@link #expertsSideBySide}): on a backend that can ({@link Backend#concurrentExperts}), with two or more experts,
     * every one of them in memory when the step was planned ({@code where}: no acquire waits for a load from the SSD; a
     * store without tiers, such as a checkpoint folder, says {@link Residency#HOST}), and no FloE experts (their rows
     * move at acquire).
     */
    private boolean sideBySide(Residency[] where, List<Integer> run) {
        if (!expertsSideBySide || floeStore || run.size() < 2 || backend.concurrentExperts() < 2) return false;
        for (int i : run) {
            if (where[i] == Residency.SSD || where[i] == Residency.LOADING) return false;
        }
        return true;
    }

    /**
     * {@link #deviceExperts} with each expert computed whole on one thread, up to {@link Backend#concurrentExperts} at a
     * time, instead of one after another with each product split over the threads. Split products make the threads
     * meet twice per expert (after gate/up and after down), 128 times per layer of a 32-token prompt of 64 experts, and
     * each time the first to finish its half waits for the other, or for a parked thread to wake. Here the threads meet
     * once per layer; each takes the next expert from a queue ordered by token count, the largest first, so they finish
     * close together. The gain measured on a 2-core AMD EPYC (Zen 5) VM shared with other work was small: pp32 of the
     * OLMoE-shaped bf16 store 1.12x (ahead in 10 of 12 interleaved pairs in one JVM), its int8 store 1.04x (9 of 12),
     * its bf16 checkpoint 1.02x (7 of 12), tiny-moe 1.02x (6 of 12); its int4 store 1.10x (7 of 12), but there the
     * decode steps of the same pairs, which run the same code either way, came out at 1.14x, and 0.96-1.04x for the
     * others (bench/results/cpu-speed/experts-side-by-side/). A decode step (one token, top-k experts) keeps the split
     * products.
     *
     * <p>What does not change: the store sees the same acquires in the same (first-use) order, all made on this thread
     * before any is computed (every expert is in memory, so none waits), and the releases in the same order, after the
     * last is computed rather than each after its own; each expert's output is the same bits whichever thread computed
     * it (the kernels reduce each row in a fixed order on one thread), and the outputs are summed into {@code out} in
     * first-use order as before, so the step's result is bit for bit the one-after-another result.
     */
    private void expertsSideBySide(int l, ModelWeights.Layer L, List<Integer> order, List<List<Integer>> rowsOf,
                                   List<List<Float>> wOf, Buf xn, int n, Buf out, RunState rs, StepPlanner.Path[] path,
                                   int[] at, List<Integer> run) {
        Backend be = backend;
        int h = config.hidden(), cnt = run.size();
        sideBySideLayers.incrementAndGet();
        int[][] rows = new int[cnt][];
        int[] first = new int[cnt]; // each expert's first output row: in out (at given) or in rs.ya
        Buf dst = at != null ? out : rs.ya;
        ExpertHandle[] held = new ExpertHandle[cnt];
        try {
            for (int j = 0, next = 0; j < cnt; j++) {
                int i = run.get(j), e = order.get(i);
                rows[j] = ints(rowsOf.get(e));
                first[j] = at != null ? at[i] : next;
                next += rows[j].length;
                held[j] = store.acquire(l, e, ExpertStore.Placement.FAST);
                paths.add(served(path[i], held[j]));
            }
            Integer[] queue = new Integer[cnt];
            for (int j = 0; j < cnt; j++) queue[j] = j;
            java.util.Arrays.sort(queue, (a, b) -> Integer.compare(rows[b].length, rows[a].length)); // stable: ties keep first-use order
            java.util.concurrent.atomic.AtomicInteger taken = new java.util.concurrent.atomic.AtomicInteger();
            int threads = Math.min(be.concurrentExperts(), cnt);
            io.strata.compression.kernel.Parallel.forRange(threads, 1, (p0, p1) -> {
                for (int k; (k = taken.getAndIncrement()) < cnt; ) {
                    int j = queue[k], i = run.get(j), e = order.get(i), r = rows[j].length;
                    Buf xe = xn;
                    if (r != n) {
                        xe = be.alloc(r * h);
                        be.gatherRows(xn, rows[j], h, xe);
                    }
                    expertFfn(L, e, held[j], xe, r, dst.slice(first[j] * h, r * h));
                }
            });
        } finally {
            for (ExpertHandle hd : held) if (hd != null) hd.close();
        }
        if (at == null) {
            for (int j = 0; j < cnt; j++) {
                be.scatterAddRows(rs.ya.slice(first[j] * h, rows[j].length * h), rows[j], floats(wOf.get(order.get(run.get(j)))), h, out);
            }
        }
    }

    /** The path an expert really took: a planned copy that the fast tier could not take was served from host memory. */
    private static StepPlanner.Path served(StepPlanner.Path planned, ExpertHandle h) {
        if (h.fast() == null && !(h.layout() instanceof ExpertLayout.Floe)) return StepPlanner.Path.CPU;
        return planned;
    }

    /**
     * The CPU-path experts on {@link Backend#host}, from the host copy {@code hx} of xn (n, hidden); expert i's output
     * is written to rows {@code at[i]..} of {@code ya}. Each is acquired without a fast copy.
     */
    private void hostExperts(int l, List<Integer> order, List<List<Integer>> rowsOf, float[] hx, StepPlanner.Path[] path,
                             Buf ya, int[] at) {
        Backend hb = backend.host();
        int h = config.hidden();
        for (int i = 0; i < order.size(); i++) {
            if (path[i] != StepPlanner.Path.CPU) continue;
            int e = order.get(i);
            List<Integer> rows = rowsOf.get(e);
            int r = rows.size();
            float[] xs = new float[r * h];
            for (int t = 0; t < r; t++) System.arraycopy(hx, rows.get(t) * h, xs, t * h, h);
            Buf x = hb.alloc(r * h), y = hb.alloc(r * h);
            try {
                hb.write(x, xs, 0, r * h);
                try (ExpertHandle handle = store.acquire(l, e, ExpertStore.Placement.HOST)) {
                    paths.add(StepPlanner.Path.CPU);
                    hb.expertFfn(handle, x, r, y);
                }
                hb.read(y, xs, 0, r * h);
            } finally {
                hb.free(x);
                hb.free(y);
            }
            backend.write(ya.slice(at[i] * h, r * h), xs, 0, r * h);
        }
    }

    private static int[] ints(List<Integer> v) {
        int[] a = new int[v.size()];
        for (int i = 0; i < a.length; i++) a[i] = v.get(i);
        return a;
    }

    private static float[] floats(List<Float> v) {
        float[] a = new float[v.size()];
        for (int i = 0; i < a.length; i++) a[i] = v.get(i);
        return a;
    }

    @Override
    public synchronized void close() {
        if (run != null) {
            run.free(backend);
            run = null;
        }
        if (mla != null) mla.free();
        backend.close();
        store.close();
    }
}
