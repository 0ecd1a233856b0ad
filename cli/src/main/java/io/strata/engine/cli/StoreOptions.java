// Options of the expert store (budgets, eviction policy, prefetch, trace recording), mapped onto EngineOptions.
package io.strata.engine.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

public final class StoreOptions {
    @Option(names = "--host-budget", description = "host-RAM tier budget for experts of a packed store, e.g. 2GiB (hard limit)")
    public String hostBudget;

    @Option(names = "--fast-budget", description = "fast-tier budget, e.g. 11GiB (hard limit): under CUDA the whole backend's VRAM (weights, KV cache, scratch, expert cache), on the CPU the resident set of experts")
    public String fastBudget;

    @Option(names = "--policy", defaultValue = "lru", description = "eviction policy: lru, lfu (no aging), lfu-aging[:H] (halve counts every H tokens), lrfu[:LAMBDA], arc, "
            + "least-stale, learned (needs --policy-model), random (default: ${DEFAULT-VALUE})")
    public String policy;

    @Option(names = "--policy-model", description = "learned eviction-policy weights (JSON from strata trace replay --save-learned, "
            + "trained on a trace of this model: strata run --trace)")
    public Path policyModel;

    @Option(names = "--prefetch", defaultValue = "off",
            description = "prefetch experts of the next layers: off, lookahead, learned (needs --prefetch-model) (default: ${DEFAULT-VALUE})")
    public String prefetch;

    @Option(names = "--prefetch-depth", defaultValue = "1", description = "layers ahead to prefetch (default: ${DEFAULT-VALUE})")
    public int prefetchDepth;

    @Option(names = "--prefetch-model", description = "learned predictor weights (JSON from strata predict eval --save-learned)")
    public Path prefetchModel;

    @Option(names = "--loader-threads", defaultValue = "2", description = "threads reading experts from the SSD (default: ${DEFAULT-VALUE})")
    public int loaderThreads = 2;

    @Option(names = "--trace", description = "record the routing trace of this run to FILE (JSON lines)")
    public Path trace;

    @Option(names = "--offload-compute", defaultValue = "auto",
            description = "where an expert missing from the fast tier is computed: auto, gpu, cpu (default: ${DEFAULT-VALUE})")
    public String offloadCompute = "auto";

    /** Sets these options on an engine-options builder (budgets parsed here, so a bad size names its option). */
    public void applyTo(io.strata.engine.api.EngineOptions.Builder b) {
        try {
            b.hostBudget(hostBudget);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--host-budget: " + e.getMessage(), e);
        }
        try {
            b.fastBudget(fastBudget);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--fast-budget: " + e.getMessage(), e);
        }
        b.policy(policy).policyModel(policyModel).prefetch(prefetch).prefetchDepth(prefetchDepth).prefetchModel(prefetchModel)
                .loaderThreads(loaderThreads).offloadCompute(offloadCompute).trace(trace);
    }
}
