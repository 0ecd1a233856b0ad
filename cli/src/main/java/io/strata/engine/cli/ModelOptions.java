// Options shared by the commands that load a model.
package io.strata.engine.cli;

import io.strata.engine.generate.SamplingConfig;
import picocli.CommandLine.Option;

public final class ModelOptions {
    @Option(names = "--backend", defaultValue = "auto", description = "auto, cpu or cuda (default: ${DEFAULT-VALUE})")
    public String backend;

    @Option(names = "--context", defaultValue = "4096", description = "KV-cache positions (default: ${DEFAULT-VALUE})")
    public int context;

    @Option(names = "--threads", defaultValue = "0", description = "CPU kernel threads, 0 = one per processor (default: ${DEFAULT-VALUE})")
    public int threads;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default: ${DEFAULT-VALUE})")
    public float temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "sample from the k most likely tokens, 0 = all")
    public int topK;

    @Option(names = "--top-p", defaultValue = "1", description = "nucleus sampling mass, 1 = off")
    public float topP;

    @Option(names = "--seed", defaultValue = "0", description = "sampler seed")
    public long seed;

    /** The engine options these and the store options s (may be null) stand for. */
    public io.strata.engine.api.EngineOptions engine(StoreOptions s) {
        var b = io.strata.engine.api.EngineOptions.builder().backend(backend).context(context).threads(threads);
        if (s != null) s.applyTo(b);
        return b.build();
    }

    public SamplingConfig sampling() {
        return new SamplingConfig(temperature, topK, topP, seed);
    }
}
