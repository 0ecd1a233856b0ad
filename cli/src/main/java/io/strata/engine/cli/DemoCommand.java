// strata demo: runs the embedded default model with no download and no GPU.
package io.strata.engine.cli;

import io.strata.engine.api.ExpertUsage;
import io.strata.engine.api.StrataModel;
import io.strata.engine.generate.GenerationResult;
import io.strata.engine.generate.SamplingConfig;
import io.strata.engine.synth.SyntheticCheckpoint;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the embedded small trained MoE model (or a synthetic random one) and report speed and expert usage.")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--synthetic", description = "use a synthetic Mixtral-style model with RANDOM weights (written to the cache folder on first use)")
    boolean synthetic;

    @Option(names = "--prompt", description = "prompt text (default: one per genre the model was trained on)")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "48")
    int maxTokens;

    @Option(names = "--backend", defaultValue = "auto", description = "auto, cpu or cuda")
    String backend;

    @Option(names = "--cache-dir", description = "where the synthetic model is written (default: ~/.cache/strata)")
    Path cacheDir;

    @Option(names = "--json", description = "also write the generations, timings and expert counts to this JSON file")
    Path json;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        Path dir;
        String[] prompts;
        if (synthetic) {
            Path cache = cacheDir != null ? cacheDir : Path.of(System.getProperty("user.home"), ".cache", "strata");
            dir = cache.resolve("synthetic-demo-mixtral");
            if (!Files.exists(dir)) {
                Files.createDirectories(cache);
                var spec = SyntheticCheckpoint.preset("demo-mixtral");
                out.printf("writing a synthetic Mixtral-style model (%.0f MB, random weights) to %s ...%n", spec.totalBytes() / 1e6, dir);
                SyntheticCheckpoint.write(spec, dir, null);
            }
            out.println("NOTE: this model's weights are RANDOM: its text is meaningless; speed and routing statistics are real.");
            prompts = new String[] {prompt != null ? prompt : "The quick brown fox"};
        } else {
            dir = trainedModel();
            if (dir == null) {
                out.println("the trained demo model (models/tiny-moe) was not found; run with --synthetic");
                return 2;
            }
            out.println("model: " + dir + " — a small MoE (Mixtral architecture, 6 layers, 8 experts, top-2) trained on"
                    + " public-domain and freely licensed text (see its README.md)");
            prompts = prompt != null ? new String[] {prompt}
                    : new String[] {"And the LORD said unto Moses,", "A fool and his money", "Wer anderen eine Grube gräbt,",
                        "La vida es", "hacker n. A person who"};
        }
        try (StrataModel m = StrataModel.load(dir, io.strata.engine.api.EngineOptions.builder().backend(backend).context(2048).build())) {
            ExpertUsage usage = new ExpertUsage(m.config().numLayers(), m.config().numExperts());
            m.model().addObserver(usage);
            long tokens = 0, decodeNanos = 0, ttft = 0;
            var om = new com.fasterxml.jackson.databind.ObjectMapper();
            var report = om.createObjectNode();
            report.put("model", dir.toString());
            report.put("synthetic_random_weights", synthetic);
            var runs = report.putArray("runs");
            for (String p : prompts) {
                out.print("\n> " + p);
                GenerationResult r = m.generate(p, maxTokens, SamplingConfig.GREEDY, s -> {
                    out.print(s);
                    out.flush();
                });
                out.println();
                tokens += Math.max(0, r.tokens().length - 1);
                decodeNanos += r.decodeNanos();
                ttft += r.ttftNanos();
                var run = runs.addObject();
                run.put("prompt", p);
                run.put("text", m.tokenizer().decode(r.tokens(), true));
                run.put("generated_tokens", r.tokens().length);
                run.put("ttft_ms", r.ttftNanos() / 1e6);
                run.put("decode_tokens_per_s", r.decodeTokensPerSecond());
            }
            out.printf("%nbackend %s | mean time to first token %.1f ms | decode %.1f tokens/s%n%n",
                    m.model().backend().name(), ttft / 1e6 / prompts.length, decodeNanos > 0 ? tokens / (decodeNanos / 1e9) : 0);
            out.print(usage.table());
            if (json != null) {
                report.put("backend", m.model().backend().name());
                report.put("mean_ttft_ms", ttft / 1e6 / prompts.length);
                report.put("decode_tokens_per_s", decodeNanos > 0 ? tokens / (decodeNanos / 1e9) : 0);
                var u = report.putArray("expert_counts");
                for (int l = 0; l < usage.layers(); l++) {
                    var row = u.addArray();
                    for (int e = 0; e < usage.experts(); e++) row.add(usage.count(l, e));
                }
                om.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), report);
            }
        }
        return 0;
    }

    /** models/tiny-moe beside the launcher (-Dstrata.root) or under the working folder. */
    static Path trainedModel() {
        for (String base : new String[] {System.getProperty("strata.root"), "."}) {
            if (base == null) continue;
            Path p = Path.of(base, "models", "tiny-moe");
            if (Files.isRegularFile(p.resolve("model.safetensors"))) return p;
        }
        return null;
    }
}
