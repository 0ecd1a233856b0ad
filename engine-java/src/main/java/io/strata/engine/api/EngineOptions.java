// Everything that shapes how a model is loaded and served: backend, context, threads, tier budgets,
// eviction policy, prefetch, offload-compute mode and trace recording. The CLI maps its options onto this.
package io.strata.engine.api;

import io.strata.tiering.host.ByteSize;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * How {@link StrataModel#load(Path, EngineOptions)} opens and serves a model. Built with {@link #builder()} (every
 * field starts at its default) or {@link #defaults()}; the canonical constructor applies the same defaults to
 * null / zero fields and rejects values that cannot work, naming the field and what it expects.
 *
 * <p>Budgets, the eviction policy and prefetch act on a packed store's tiers (see {@code strata pack}); on a
 * Hugging Face checkpoint folder they are refused at load with the command that packs it.
 *
 * @param backend        compute backend: {@code auto} (CUDA when a device loads, else the CPU), {@code cpu} or
 *                       {@code cuda}; default {@code auto}
 * @param context        KV-cache positions of one session (prompt + generated tokens); default 4096
 * @param threads        CPU threads of the kernel pool, 0 = one per available processor; the pool is process-wide,
 *                       so the first model loaded in a JVM fixes it and a later different request is refused
 * @param fastBudget     fast-tier budget in bytes (0 = unset: the host budget); under CUDA the whole VRAM budget of
 *                       the backend (dense weights, KV caches, scratch and the expert cache), on the CPU the resident
 *                       set of experts. A hard limit.
 * @param hostBudget     host-RAM tier budget for experts in bytes (0 = unset: every expert fits). A hard limit.
 * @param policy         eviction policy of the tiers: {@code lru} (default), {@code lfu}, {@code learned} (needs
 *                       {@code policyModel}) or {@code random}
 * @param policyModel    learned eviction-policy weights (from {@code strata trace replay --save-learned}), or null
 * @param prefetch       expert prefetch: {@code off} (default), {@code lookahead}, {@code learned} (needs
 *                       {@code prefetchModel})
 * @param prefetchDepth  layers ahead to prefetch, ≥ 1; default 1
 * @param prefetchModel  learned predictor weights (from {@code strata predict eval --save-learned}), or null
 * @param loaderThreads  threads reading experts from the SSD, ≥ 1; default 2
 * @param offloadCompute where an expert missing from the fast tier is computed: {@code AUTO} (default), {@code GPU}
 *                       (copy it up first) or {@code CPU} (compute it from the host tier); stored and validated,
 *                       honoured by backends that can split the work
 * @param trace          file to record every routing decision to (JSON lines), or null
 * @param chatTemplate   a Jinja chat-template file overriding the checkpoint's own, or null
 */
public record EngineOptions(String backend, int context, int threads, long fastBudget, long hostBudget, String policy,
                            Path policyModel, String prefetch, int prefetchDepth, Path prefetchModel, int loaderThreads,
                            OffloadCompute offloadCompute, Path trace, Path chatTemplate) {
    /** Backends by name. */
    public static final List<String> BACKENDS = List.of("auto", "cpu", "cuda");
    /** Eviction policies a packed store can serve with. */
    public static final List<String> POLICIES = List.of("lru", "lfu", "learned", "random");
    /** Prefetch predictors. */
    public static final List<String> PREFETCHERS = List.of("off", "lookahead", "learned");

    /** Where an expert that misses the fast tier is computed. */
    public enum OffloadCompute {
        /** chosen per expert from measured bandwidths */
        AUTO,
        /** always copied to the fast tier and computed there */
        GPU,
        /** computed on the CPU from the host tier */
        CPU;

        /**
         * Parses a mode name.
         *
         * @param s auto, gpu or cpu (any case)
         * @return the mode
         * @throws IllegalArgumentException for any other name
         */
        public static OffloadCompute parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException("offload-compute: expected auto, gpu or cpu, found '" + s + "'");
            }
        }
    }

    /** Applies defaults to unset (null / 0) fields and checks the rest. */
    public EngineOptions {
        backend = backend == null ? "auto" : backend;
        if (!BACKENDS.contains(backend)) throw new IllegalArgumentException("backend: expected one of " + BACKENDS + ", found '" + backend + "'");
        if (context == 0) context = 4096;
        if (context < 2) throw new IllegalArgumentException("context: expected at least 2 positions, found " + context);
        if (threads < 0) throw new IllegalArgumentException("threads: expected ≥ 0 (0 = one per processor), found " + threads);
        if (fastBudget < 0) throw new IllegalArgumentException("fast budget: expected bytes > 0 (0 = unset), found " + fastBudget);
        if (hostBudget < 0) throw new IllegalArgumentException("host budget: expected bytes > 0 (0 = unset), found " + hostBudget);
        policy = policy == null ? "lru" : policy;
        if (!POLICIES.contains(policy)) throw new IllegalArgumentException("policy: expected one of " + POLICIES + ", found '" + policy + "'");
        if (policy.equals("learned") && policyModel == null) {
            throw new IllegalArgumentException("policy learned needs its weights (policyModel, --policy-model FILE): the file written by "
                    + "strata trace replay --save-learned, trained on a trace of this model (strata run --trace)");
        }
        if (!policy.equals("learned") && policyModel != null) {
            throw new IllegalArgumentException("policy model " + policyModel + " is for policy learned, not '" + policy + "'");
        }
        prefetch = prefetch == null ? "off" : prefetch;
        if (!PREFETCHERS.contains(prefetch)) throw new IllegalArgumentException("prefetch: expected one of " + PREFETCHERS + ", found '" + prefetch + "'");
        if (prefetch.equals("learned") && prefetchModel == null) {
            throw new IllegalArgumentException("prefetch learned needs its weights (prefetchModel, --prefetch-model FILE): the file written by "
                    + "strata predict eval --save-learned");
        }
        if (prefetchDepth == 0) prefetchDepth = 1;
        if (prefetchDepth < 0) throw new IllegalArgumentException("prefetch depth: expected ≥ 1 layer, found " + prefetchDepth);
        if (loaderThreads == 0) loaderThreads = io.strata.tiering.TieredExpertStore.DEFAULT_LOADER_THREADS;
        if (loaderThreads < 0) throw new IllegalArgumentException("loader threads: expected ≥ 1, found " + loaderThreads);
        offloadCompute = offloadCompute == null ? OffloadCompute.AUTO : offloadCompute;
    }

    /**
     * Every field at its default: auto backend, 4096 positions, no budgets, LRU, no prefetch, no trace.
     *
     * @return the default options
     */
    public static EngineOptions defaults() {
        return builder().build();
    }

    /**
     * A builder with every field at its default.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder starting from these options.
     *
     * @return a new builder holding these values
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.backend = backend;
        b.context = context;
        b.threads = threads;
        b.fastBudget = fastBudget;
        b.hostBudget = hostBudget;
        b.policy = policy;
        b.policyModel = policyModel;
        b.prefetch = prefetch;
        b.prefetchDepth = prefetchDepth;
        b.prefetchModel = prefetchModel;
        b.loaderThreads = loaderThreads;
        b.offloadCompute = offloadCompute;
        b.trace = trace;
        b.chatTemplate = chatTemplate;
        return b;
    }

    /**
     * Whether any option needs a packed store's tiers.
     *
     * @return true with a budget, a policy other than lru, or prefetch on
     */
    public boolean needsTieredStore() {
        return fastBudget > 0 || hostBudget > 0 || !policy.equals("lru") || !prefetch.equals("off");
    }

    /** Builds {@link EngineOptions}; every setter returns this, unset fields keep their defaults. */
    public static final class Builder {
        private String backend = "auto";
        private int context = 4096;
        private int threads;
        private long fastBudget;
        private long hostBudget;
        private String policy = "lru";
        private Path policyModel;
        private String prefetch = "off";
        private int prefetchDepth = 1;
        private Path prefetchModel;
        private int loaderThreads = io.strata.tiering.TieredExpertStore.DEFAULT_LOADER_THREADS;
        private OffloadCompute offloadCompute = OffloadCompute.AUTO;
        private Path trace;
        private Path chatTemplate;

        private Builder() {}

        /**
         * Sets the backend option.
         *
         * @param b auto, cpu or cuda
         * @return this builder
         */
        public Builder backend(String b) {
            this.backend = b;
            return this;
        }

        /**
         * Sets the context option.
         *
         * @param positions KV-cache positions per session
         * @return this builder
         */
        public Builder context(int positions) {
            this.context = positions;
            return this;
        }

        /**
         * Sets the threads option.
         *
         * @param n CPU kernel threads, 0 = one per processor
         * @return this builder
         */
        public Builder threads(int n) {
            this.threads = n;
            return this;
        }

        /**
         * Sets the fastBudget option.
         *
         * @param bytes fast-tier budget in bytes (0 = unset)
         * @return this builder
         */
        public Builder fastBudget(long bytes) {
            this.fastBudget = bytes;
            return this;
        }

        /**
         * Sets the fastBudget option.
         *
         * @param size fast-tier budget such as "512MiB" or "11GiB"; null = unset
         * @return this builder
         */
        public Builder fastBudget(String size) {
            this.fastBudget = size == null ? 0 : ByteSize.parse(size);
            return this;
        }

        /**
         * Sets the hostBudget option.
         *
         * @param bytes host-tier budget in bytes (0 = unset)
         * @return this builder
         */
        public Builder hostBudget(long bytes) {
            this.hostBudget = bytes;
            return this;
        }

        /**
         * Sets the hostBudget option.
         *
         * @param size host-tier budget such as "2GiB"; null = unset
         * @return this builder
         */
        public Builder hostBudget(String size) {
            this.hostBudget = size == null ? 0 : ByteSize.parse(size);
            return this;
        }

        /**
         * Sets the policy option.
         *
         * @param name lru, lfu, learned or random
         * @return this builder
         */
        public Builder policy(String name) {
            this.policy = name;
            return this;
        }

        /**
         * Sets the policyModel option.
         *
         * @param weights learned eviction-policy weights (for policy learned)
         * @return this builder
         */
        public Builder policyModel(Path weights) {
            this.policyModel = weights;
            return this;
        }

        /**
         * Sets the prefetch option.
         *
         * @param predictor off, lookahead or learned
         * @return this builder
         */
        public Builder prefetch(String predictor) {
            this.prefetch = predictor;
            return this;
        }

        /**
         * Sets the prefetchDepth option.
         *
         * @param layers layers ahead to prefetch
         * @return this builder
         */
        public Builder prefetchDepth(int layers) {
            this.prefetchDepth = layers;
            return this;
        }

        /**
         * Sets the prefetchModel option.
         *
         * @param weights learned predictor weights (for prefetch learned)
         * @return this builder
         */
        public Builder prefetchModel(Path weights) {
            this.prefetchModel = weights;
            return this;
        }

        /**
         * Sets the loaderThreads option.
         *
         * @param n threads reading experts from the SSD
         * @return this builder
         */
        public Builder loaderThreads(int n) {
            this.loaderThreads = n;
            return this;
        }

        /**
         * Sets the offloadCompute option.
         *
         * @param mode where a fast-tier miss is computed
         * @return this builder
         */
        public Builder offloadCompute(OffloadCompute mode) {
            this.offloadCompute = mode;
            return this;
        }

        /**
         * Sets the offloadCompute option.
         *
         * @param mode auto, gpu or cpu
         * @return this builder
         */
        public Builder offloadCompute(String mode) {
            this.offloadCompute = OffloadCompute.parse(mode);
            return this;
        }

        /**
         * Sets the trace option.
         *
         * @param file routing trace to record (JSON lines), or null
         * @return this builder
         */
        public Builder trace(Path file) {
            this.trace = file;
            return this;
        }

        /**
         * Sets the chatTemplate option.
         *
         * @param file chat-template file overriding the checkpoint's, or null
         * @return this builder
         */
        public Builder chatTemplate(Path file) {
            this.chatTemplate = file;
            return this;
        }

        /**
         * Checks the fields and builds the options.
         *
         * @return the options
         * @throws IllegalArgumentException naming the first field that cannot work
         */
        public EngineOptions build() {
            return new EngineOptions(backend, context, threads, fastBudget, hostBudget, policy, policyModel, prefetch,
                    prefetchDepth, prefetchModel, loaderThreads, offloadCompute, trace, chatTemplate);
        }
    }
}
