// `strata predict`: evaluate expert predictors (gate look-ahead, learned MLP, frequency prior) on a model's routing.
package io.strata.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strata.engine.api.StrataModel;
import io.strata.engine.predict.BuiltinPrompts;
import io.strata.engine.predict.ExpertPredictor;
import io.strata.engine.predict.FrequencyPrior;
import io.strata.engine.predict.LearnedPredictor;
import io.strata.engine.predict.LookaheadPredictor;
import io.strata.engine.predict.Mlp;
import io.strata.engine.predict.PredictorEval;
import io.strata.engine.predict.RoutingDataset;
import io.strata.engine.predict.RoutingRuns;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Expert-prediction tools; {@code eval} today. */
@Command(name = "predict", mixinStandardHelpOptions = true, description = "Expert predictors for prefetching.",
        subcommands = {PredictCommand.Eval.class})
public final class PredictCommand implements Runnable {
    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    /** Records routing on prompts, trains on a training split, scores each predictor x depth on held-out prompts. */
    @Command(name = "eval", mixinStandardHelpOptions = true,
            description = "Precision/recall of expert predictors on held-out prompts.")
    public static final class Eval implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "Hugging Face checkpoint folder")
        Path model;

        @Option(names = "--predictor", split = ",", defaultValue = "lookahead,learned,prior",
                description = "lookahead, lookahead-norm (rescaled by the norm weights), learned, prior (default: ${DEFAULT-VALUE})")
        List<String> predictors;

        @Option(names = "--depth", split = ",", defaultValue = "1,2,3", description = "look-ahead distances (default: ${DEFAULT-VALUE})")
        int[] depths;

        @Option(names = "--top-m", defaultValue = "0", description = "experts predicted per layer, 0 = the model's top-k")
        int topM;

        @Option(names = "--train-prompts", description = "training prompts (passages separated by blank lines)")
        Path trainPrompts;

        @Option(names = "--prompts", description = "held-out prompts (passages separated by blank lines)")
        Path prompts;

        @Option(names = "--prompt-set", defaultValue = "auto",
                description = "built-in prompts when no file is given: genres (tiny-moe's five), all, auto = genres for a folder named tiny-moe (default: ${DEFAULT-VALUE})")
        String promptSet;

        @Option(names = "--holdout-every", defaultValue = "4",
                description = "without separate files, every N-th prompt is held out (default: ${DEFAULT-VALUE})")
        int holdoutEvery;

        @Option(names = "--gen-tokens", defaultValue = "32", description = "greedy tokens generated after each prompt, also recorded (default: ${DEFAULT-VALUE})")
        int genTokens;

        @Option(names = "--inner", defaultValue = "512", description = "learned predictor hidden width (default: ${DEFAULT-VALUE})")
        int inner;

        @Option(names = "--epochs", defaultValue = "12", description = "learned predictor epochs (default: ${DEFAULT-VALUE})")
        int epochs;

        @Option(names = "--lr", defaultValue = "1e-3", description = "learned predictor Adam learning rate (default: ${DEFAULT-VALUE})")
        float lr;

        @Option(names = "--seed", defaultValue = "1", description = "training seed (default: ${DEFAULT-VALUE})")
        long seed;

        @Option(names = "--learned", description = "load the learned predictor from this JSON instead of training")
        Path learnedIn;

        @Option(names = "--save-learned", description = "write the trained learned predictor (JSON) here")
        Path learnedOut;

        @Option(names = "--json", description = "write the results as JSON to this file")
        Path json;

        @Option(names = "--backend", defaultValue = "cpu", description = "auto, cpu or cuda (default: ${DEFAULT-VALUE})")
        String backend;

        @Override
        public Integer call() throws Exception {
            for (String p : predictors) {
                if (!List.of("lookahead", "lookahead-norm", "learned", "prior").contains(p)) {
                    throw new IllegalArgumentException("--predictor: expected lookahead, lookahead-norm, learned or prior, found '" + p + "'");
                }
            }
            int maxDepth = 0;
            for (int d : depths) {
                if (d < 1) throw new IllegalArgumentException("--depth: expected distances ≥ 1, found " + d);
                maxDepth = Math.max(maxDepth, d);
            }
            List<String> train, test;
            String source;
            if (trainPrompts != null && prompts != null) {
                train = BuiltinPrompts.read(trainPrompts);
                test = BuiltinPrompts.read(prompts);
                source = trainPrompts + " / " + prompts;
            } else {
                List<String> all = trainPrompts != null ? BuiltinPrompts.read(trainPrompts)
                        : prompts != null ? BuiltinPrompts.read(prompts) : builtin();
                source = trainPrompts != null ? trainPrompts.toString() : prompts != null ? prompts.toString() : "built-in (" + promptSetName() + ")";
                train = new ArrayList<>();
                test = new ArrayList<>();
                for (int i = 0; i < all.size(); i++) (i % holdoutEvery == holdoutEvery - 1 ? test : train).add(all.get(i));
                source += ", every " + holdoutEvery + "th held out";
            }
            try (StrataModel m = StrataModel.load(model, new StrataModel.Options(backend, 4096))) {
                var c = m.config();
                int mm = topM > 0 ? topM : c.topK();
                long t0 = System.nanoTime();
                RoutingDataset trainData = RoutingRuns.record(m, train, genTokens);
                RoutingDataset testData = RoutingRuns.record(m, test, genTokens);
                double recordS = (System.nanoTime() - t0) / 1e9;
                System.out.printf(Locale.ROOT, "%s: %d layers, %d experts, top-%d; prompts %s%n", model, c.numLayers(), c.numExperts(), c.topK(), source);
                System.out.printf(Locale.ROOT, "recorded %d training tokens (%d prompts), %d held-out tokens (%d prompts), +%d generated each, in %.1f s%n",
                        trainData.totalTokens(), train.size(), testData.totalTokens(), test.size(), genTokens, recordS);
                List<ExpertPredictor> ps = new ArrayList<>();
                List<LearnedPredictor.TrainLog> log = new ArrayList<>();
                double trainS = 0;
                for (String p : predictors) {
                    switch (p) {
                        case "lookahead" -> ps.add(LookaheadPredictor.of(m.model()));
                        case "lookahead-norm" -> ps.add(LookaheadPredictor.of(m.model(), true));
                        case "prior" -> ps.add(FrequencyPrior.train(trainData, trainData.sequences()));
                        case "learned" -> {
                            if (learnedIn != null) {
                                ps.add(LearnedPredictor.load(learnedIn));
                            } else {
                                long t1 = System.nanoTime();
                                var opt = new LearnedPredictor.Options(inner, new Mlp.TrainOptions(epochs, 32, lr, seed));
                                LearnedPredictor lp = LearnedPredictor.train(trainData, trainData.sequences(), maxDepth, opt, log);
                                trainS = (System.nanoTime() - t1) / 1e9;
                                System.out.printf(Locale.ROOT, "trained %d networks (%d → %d → %d, %d epochs) in %.1f s%n", log.size(), c.hidden(), inner, c.numExperts(), epochs, trainS);
                                if (learnedOut != null) lp.save(learnedOut);
                                ps.add(lp);
                            }
                        }
                        default -> throw new IllegalStateException(p);
                    }
                }
                // Held-out data for the test, training data for an in-sample reference of the learned model.
                PredictorEval.Report r = PredictorEval.run(ps, depths, mm, testData, testData.sequences());
                System.out.print(r.table());
                if (json != null) {
                    Map<String, Object> root = new LinkedHashMap<>();
                    root.put("model", model.toString());
                    root.put("num_layers", c.numLayers());
                    root.put("num_experts", c.numExperts());
                    root.put("top_k", c.topK());
                    root.put("prompts", source);
                    root.put("train_prompts", train.size());
                    root.put("test_prompts", test.size());
                    root.put("gen_tokens", genTokens);
                    root.put("train_tokens", trainData.totalTokens());
                    root.put("backend", m.model().backend().name());
                    Map<String, Object> learned = new LinkedHashMap<>();
                    learned.put("inner", inner);
                    learned.put("epochs", epochs);
                    learned.put("lr", lr);
                    learned.put("seed", seed);
                    learned.put("train_seconds", trainS);
                    List<Object> logs = new ArrayList<>();
                    for (var l : log) {
                        logs.add(Map.of("layer", l.layer(), "ahead", l.ahead(), "samples", l.samples(),
                                "loss_before", l.lossBefore(), "loss_after", l.lossAfter()));
                    }
                    learned.put("networks", logs);
                    root.put("learned", learned);
                    root.putAll(r.toJson());
                    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), root);
                }
            }
            return 0;
        }

        private String promptSetName() {
            return switch (promptSet) {
                case "genres", "all" -> promptSet;
                case "auto" -> model.toAbsolutePath().normalize().getFileName().toString().equals("tiny-moe") ? "genres" : "all";
                default -> throw new IllegalArgumentException("--prompt-set: expected genres, all or auto, found '" + promptSet + "'");
            };
        }

        private List<String> builtin() {
            return promptSetName().equals("genres") ? BuiltinPrompts.genres() : BuiltinPrompts.all();
        }
    }
}
