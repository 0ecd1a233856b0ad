// `strata trace replay`: hit rate of eviction policies replayed on a routing trace.
package io.strata.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strata.tiering.policy.LearnedPolicy;
import io.strata.tiering.replay.TraceReplay;
import io.strata.tiering.trace.RoutingTrace;
import io.strata.tiering.trace.TraceReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Routing-trace tools; today one subcommand, {@code replay}. */
@Command(name = "trace", mixinStandardHelpOptions = true, description = "Routing-trace tools.",
        subcommands = {TraceCommand.Replay.class})
public final class TraceCommand implements Runnable {
    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    static double meanClosed(TraceReplay.Report r) {
        return r.gaps().stream().mapToDouble(TraceReplay.Gap::gapClosed).filter(d -> !Double.isNaN(d)).average()
                .orElse(Double.NaN);
    }

    static String pct(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    /** Replays a trace for every policy × capacity, prints a table and optionally writes JSON. */
    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = "Cache hit rate of eviction policies replayed on a routing trace.")
    public static final class Replay implements Callable<Integer> {
        @Option(names = "--trace", required = true,
                description = "Trace file: Strata JSON lines, or Mixtral active_experts.txt (one line per token x layer).")
        Path trace;

        @Option(names = "--policy", split = ",", defaultValue = "lru,lfu,lfu-aging,lrfu,arc,least-stale,learned,belady",
                description = "Policies. Baselines: lru, lfu (no aging), lfu-aging[:H] (counts halved every H tokens, "
                        + "default 64), lrfu[:LAMBDA] (Lee et al., decay per token in [0, 1], default 1/16), arc, least-stale "
                        + "(largest expected time to next use from reuse-distance histograms); random[:SEED]; learned (trained "
                        + "here: an MLP over history features and the baselines' scores, or the baseline that beat it on an inner "
                        + "split of the training tokens), learned-mlp (its MLP alone); for the simulator only: belady (the offline "
                        + "optimum), next-token-oracle (LFU told the next token's routing; not a bound) and learned-insample (the "
                        + "MLP trained on the whole trace, counted tokens included) (default: ${DEFAULT-VALUE}).")
        List<String> policies;

        @Option(names = "--slots", split = ",",
                description = "Cached experts per layer (with --global: per layer on average) (default: 1/8, 1/4 and 1/2 of "
                        + "the experts per layer, and 3, 4, 5 for 8-expert models).")
        int[] slots;

        @Option(names = "--plot", description = "Write a PNG of hit rate against cache size, one line per policy.")
        Path plot;

        @Option(names = "--holdout", defaultValue = "0",
                description = "Train the learned policy on this fraction of tokens; count hits only on the rest.")
        double holdout;

        @Option(names = "--global", description = "One pool of slots x layers shared by all layers instead of per-layer caches.")
        boolean global;

        @Option(names = "--pin", defaultValue = "step",
                description = "Resident experts a step protects while loading its misses: 'step' (all of the step's experts: "
                        + "hits first, as the engine's tiered store does after request(), and mixtral-offloading) or 'served' "
                        + "(only those already served, in trace order) (default: ${DEFAULT-VALUE}).")
        String pin;

        @Option(names = "--layers", defaultValue = "32",
                description = "MoE layers of a Mixtral-format trace (JSON traces carry their own) (default: ${DEFAULT-VALUE}).")
        int layers;

        @Option(names = "--learned-model", description = "Use these learned-policy weights (JSON) instead of training.")
        Path learnedModel;

        @Option(names = "--save-learned", description = "Write the trained learned-policy weights (JSON) here.")
        Path saveLearned;

        @Option(names = "--learned-per-layer", description = "Train one learned-policy model per layer (default: one shared model).")
        boolean perLayer;

        @Option(names = "--learned-loss", defaultValue = "regression",
                description = "Loss the learned policy trains with: 'regression' (regresses log next-use distance) or "
                        + "'pairwise' (ranks the candidates of each eviction by next-use distance) (default: ${DEFAULT-VALUE}).")
        String loss;

        @Option(names = "--seed", defaultValue = "1", description = "Seed for the random policy and training.")
        long seed;

        @Option(names = "--json", description = "Write the results as JSON to this file.")
        Path json;

        @Override
        public Integer call() throws Exception {
            TraceReplay.Pinning pinning = TraceReplay.Pinning.parse(pin);
            RoutingTrace t = TraceReader.read(trace, layers);
            boolean pairwise = switch (loss) {
                case "pairwise" -> true;
                case "regression" -> false;
                default -> throw new CommandLine.ParameterException(new CommandLine(this),
                        "--learned-loss: expected 'pairwise' or 'regression', found '" + loss + "'");
            };
            LearnedPolicy.Options opt = LearnedPolicy.Options.defaults().withPerLayer(perLayer).withPairwise(pairwise);
            LearnedPolicy.Model model = learnedModel != null ? LearnedPolicy.Model.load(learnedModel) : null;
            int[] sizes = slots != null ? slots : TraceReplay.defaultSlots(t.numExperts());
            long t0 = System.nanoTime();
            TraceReplay.Report r = TraceReplay.run(t, policies, sizes, global, pinning, holdout, model, opt, seed);
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (saveLearned != null && model == null && r.learned() != null) {
                r.learned().save(saveLearned); // trained by this replay
            }
            System.out.printf(Locale.ROOT, "trace %s: %d layers, %d experts, top-%d, %d tokens; %s; counted from token %d; "
                            + "pinning %s%n", t.model(), t.numLayers(), t.numExperts(), t.topK(), t.numTokens(),
                    holdout > 0 ? "holdout " + holdout : "no holdout (learned policy in-sample)", r.countFromToken(),
                    pinning.label());
            System.out.print(r.table());
            boolean compare = policies.contains("learned") && policies.contains("belady");
            if (compare) {
                System.out.print(r.gapTable());
                System.out.printf(Locale.ROOT, "mean share of the best-baseline-to-Belady gap closed by learned: %s%n",
                        pct(meanClosed(r)));
            }
            if (r.learned() != null && r.learned().choices() != null) {
                for (LearnedPolicy.Choice c : r.learned().choices()) {
                    System.out.printf(Locale.ROOT, "learned at %d slots runs %s (inner split)%n", c.slots(), c.policy());
                }
            }
            if (plot != null) {
                io.strata.tiering.replay.ReplayPlot.write(r, plot);
            }
            if (json != null) {
                ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
                List<Object> rows = new ArrayList<>();
                for (TraceReplay.Result res : r.results()) {
                    rows.add(java.util.Map.of("policy", res.policy(), "slots", res.slots(), "global", res.global(),
                            "pinning", res.pinning().label(), "requests", res.requests(), "hits", res.hits(),
                            "hit_rate", res.hitRate()));
                }
                var root = new java.util.LinkedHashMap<String, Object>();
                root.put("trace", trace.toString());
                root.put("model", t.model());
                root.put("num_layers", t.numLayers());
                root.put("num_experts", t.numExperts());
                root.put("top_k", t.topK());
                root.put("tokens", t.numTokens());
                root.put("holdout", holdout);
                root.put("count_from_token", r.countFromToken());
                root.put("global", global);
                root.put("pinning", pinning.label());
                root.put("results", rows);
                if (compare) {
                    List<Object> gaps = new ArrayList<>();
                    for (TraceReplay.Gap g : r.gaps()) {
                        var row = new java.util.LinkedHashMap<String, Object>();
                        row.put("slots", g.slots());
                        row.put("best_baseline", g.bestBaseline());
                        row.put("best_baseline_hit_rate", g.bestBaselineHitRate());
                        row.put("learned", g.learned());
                        row.put("belady", g.belady());
                        row.put("gap_closed", Double.isNaN(g.gapClosed()) ? null : g.gapClosed());
                        gaps.add(row);
                    }
                    root.put("gap", gaps);
                    double mc = meanClosed(r);
                    root.put("mean_gap_closed", Double.isNaN(mc) ? null : mc);
                }
                if (r.learned() != null && r.learned().choices() != null) {
                    root.put("learned_choices", r.learned().choices());
                }
                root.put("seconds", seconds);
                m.writeValue(json.toFile(), root);
            }
            return 0;
        }
    }
}
