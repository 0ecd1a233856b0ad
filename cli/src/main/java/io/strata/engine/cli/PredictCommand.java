// `strata predict`: evaluate expert predictors (gate look-ahead, learned MLP, frequency prior, oracle) on a model's routing.
package io.strata.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strata.engine.api.StrataModel;
import io.strata.bench.predict.BuiltinPrompts;
import io.strata.engine.predict.ExpertPredictor;
import io.strata.engine.predict.FrequencyPrior;
import io.strata.bench.predict.GatedPredictor;
import io.strata.engine.predict.LearnedPredictor;
import io.strata.engine.predict.LookaheadPredictor;
import io.strata.engine.predict.Mlp;
import io.strata.bench.predict.OraclePredictor;
import io.strata.bench.predict.PredictorEval;
import io.strata.engine.predict.RoutingDataset;
import io.strata.bench.predict.RoutingRuns;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Expert-prediction tools: {@code eval} (offline precision/recall) and {@code bench} (prefetch on a tiered store). */
@Command(name = "predict", mixinStandardHelpOptions = true, description = "Expert predictors for prefetching.",
        subcommands = {PredictCommand.Eval.class, PredictCommand.Bench.class})
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
                description = "lookahead, lookahead-norm (rescaled by the norm weights), learned, prior, oracle (built from the held-out "
                        + "prompts' own routing: the reference row, precision 1 at m = top-k); NAME-gated keeps only the "
                        + "(layer, depth) pairs with training recall >= --gate-min-recall (default: ${DEFAULT-VALUE})")
        List<String> predictors;

        @Option(names = "--gate-min-recall", defaultValue = "0.5", description = "threshold of the -gated predictors (default: ${DEFAULT-VALUE})")
        double gateMinRecall;

        @Option(names = "--depth", split = ",", defaultValue = "1,2,3", description = "look-ahead distances (default: ${DEFAULT-VALUE})")
        int[] depths;

        @Option(names = "--top-m", defaultValue = "0", description = "experts predicted per layer, 0 = the model's top-k")
        int topM;

        @Mixin
        PromptOptions promptOpts;

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
            for (String p : predictors) Factory.check(p);
            int maxDepth = 0;
            for (int d : depths) {
                if (d < 1) throw new IllegalArgumentException("--depth: expected distances ≥ 1, found " + d);
                maxDepth = Math.max(maxDepth, d);
            }
            try (StrataModel m = StrataModel.load(model, io.strata.engine.api.EngineOptions.builder().backend(backend).context(4096).build())) {
                var c = m.config();
                int mm = topM > 0 ? topM : c.topK();
                IdPrompts pr = promptOpts.resolve(m, model);
                List<int[]> train = pr.train(), test = pr.test();
                String source = pr.source();
                long t0 = System.nanoTime();
                RoutingDataset trainData = RoutingRuns.recordIds(m, train, null, genTokens);
                RoutingDataset testData = RoutingRuns.recordIds(m, test, null, genTokens);
                double recordS = (System.nanoTime() - t0) / 1e9;
                System.out.printf(Locale.ROOT, "%s: %d layers, %d experts, top-%d; prompts %s%n", model, c.numLayers(), c.numExperts(), c.topK(), source);
                System.out.printf(Locale.ROOT, "recorded %d training tokens (%d prompts), %d held-out tokens (%d prompts), +%d generated each, in %.1f s%n",
                        trainData.totalTokens(), train.size(), testData.totalTokens(), test.size(), genTokens, recordS);
                var opt = new LearnedPredictor.Options(inner, new Mlp.TrainOptions(epochs, 32, lr, seed));
                Factory f = new Factory(m, () -> trainData, () -> testData, maxDepth, mm, opt, learnedIn, learnedOut, gateMinRecall);
                List<ExpertPredictor> ps = new ArrayList<>();
                for (String p : predictors) ps.add(f.get(p));
                List<LearnedPredictor.TrainLog> log = f.log;
                double trainS = f.trainSeconds;
                if (trainS > 0) {
                    System.out.printf(Locale.ROOT, "trained %d networks (%d → %d → %d, %d epochs) in %.1f s%n", log.size(), c.hidden(), inner,
                            c.numExperts(), epochs, trainS);
                }
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
                    root.put("gate_min_recall", gateMinRecall);
                    Map<String, Object> learned = new LinkedHashMap<>();
                    learned.put("inner", inner);
                    learned.put("epochs", epochs);
                    learned.put("lr", lr);
                    learned.put("seed", seed);
                    learned.put("train_seconds", trainS);
                    learned.put("networks", trainLogJson(log));
                    root.put("learned", learned);
                    root.putAll(r.toJson());
                    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), root);
                }
            }
            return 0;
        }

    }

    /**
     * Builds predictors by name, each once: lookahead, lookahead-norm, learned (loaded or trained), prior, oracle
     * (from the routing of the measured prompts themselves), and NAME-gated (NAME restricted to its pairs with
     * training recall ≥ the gate; not the oracle, which knows nothing of the training prompts).
     */
    static final class Factory {
        /** What {@link #check} accepts besides NAME-gated. */
        static final String EXPECTED = "expected lookahead, lookahead-norm, learned, prior, oracle, or one of the first four with -gated";

        private final StrataModel model;
        final java.util.function.Supplier<RoutingDataset> train;
        private final java.util.function.Supplier<RoutingDataset> measured;
        private final int maxDepth, m;
        private final LearnedPredictor.Options opt;
        private final Path learnedIn, learnedOut;
        private final double gate;
        private final Map<String, ExpertPredictor> built = new LinkedHashMap<>();
        final List<LearnedPredictor.TrainLog> log = new ArrayList<>();
        double trainSeconds;

        /**
         * @param train    routing of the training prompts (learned, prior, gate calibration), recorded on first use
         * @param measured routing of the measured (held-out) prompts, for the oracle, recorded on first use
         */
        Factory(StrataModel model, java.util.function.Supplier<RoutingDataset> train, java.util.function.Supplier<RoutingDataset> measured,
                int maxDepth, int m, LearnedPredictor.Options opt, Path learnedIn, Path learnedOut, double gate) {
            this.model = model;
            this.train = train;
            this.measured = measured;
            this.maxDepth = maxDepth;
            this.m = m;
            this.opt = opt;
            this.learnedIn = learnedIn;
            this.learnedOut = learnedOut;
            this.gate = gate;
        }

        /** Throws when name is not one {@link #get} knows. */
        static void check(String name) {
            if (name.equals("oracle")) return;
            String base = name.endsWith("-gated") ? name.substring(0, name.length() - "-gated".length()) : name;
            if (!List.of("lookahead", "lookahead-norm", "learned", "prior").contains(base)) {
                throw new IllegalArgumentException("--predictor: " + EXPECTED + ", found '" + name + "'");
            }
        }

        ExpertPredictor get(String name) {
            ExpertPredictor p = built.get(name);
            if (p != null) return p;
            if (name.endsWith("-gated")) {
                RoutingDataset d = train.get();
                p = GatedPredictor.calibrate(get(name.substring(0, name.length() - "-gated".length())), d, d.sequences(), maxDepth, m, gate);
            } else {
                p = switch (name) {
                    case "lookahead" -> LookaheadPredictor.of(model.model());
                    case "lookahead-norm" -> LookaheadPredictor.of(model.model(), true);
                    case "prior" -> {
                        RoutingDataset d = train.get();
                        yield FrequencyPrior.train(d, d.sequences());
                    }
                    case "oracle" -> OraclePredictor.of(measured.get());
                    case "learned" -> {
                        if (learnedIn != null) yield LearnedPredictor.load(learnedIn);
                        RoutingDataset d = train.get();
                        long t0 = System.nanoTime();
                        LearnedPredictor lp = LearnedPredictor.train(d, d.sequences(), maxDepth, opt, log);
                        trainSeconds = (System.nanoTime() - t0) / 1e9;
                        if (learnedOut != null) lp.save(learnedOut);
                        yield lp;
                    }
                    default -> throw new IllegalArgumentException("--predictor: " + EXPECTED + ", found '" + name + "'");
                };
            }
            built.put(name, p);
            return p;
        }
    }

    /** The learned predictor's training log as JSON-ready maps, one per network. */
    static List<Object> trainLogJson(List<LearnedPredictor.TrainLog> log) {
        List<Object> out = new ArrayList<>();
        for (var l : log) {
            out.add(Map.of("layer", l.layer(), "ahead", l.ahead(), "samples", l.samples(),
                    "loss_before", l.lossBefore(), "loss_after", l.lossAfter()));
        }
        return out;
    }

    /** The prompts of eval and bench: text (files or built-in) or seeded random token ids, split into training and held-out. */
    static final class PromptOptions {
        @Option(names = "--train-prompts", description = "training prompts for learned/prior (passages separated by blank lines)")
        Path trainPrompts;

        @Option(names = "--prompts", description = "held-out (measured) prompts (passages separated by blank lines)")
        Path prompts;

        @Option(names = "--prompt-set", defaultValue = "auto",
                description = "built-in prompts when no file is given: genres (tiny-moe's five), all, auto = genres for a folder named tiny-moe (default: ${DEFAULT-VALUE})")
        String promptSet;

        @Option(names = "--holdout-every", defaultValue = "4",
                description = "without separate files, every N-th prompt is held out (measured) (default: ${DEFAULT-VALUE})")
        int holdoutEvery;

        @Option(names = "--random-prompts", defaultValue = "0",
                description = "use N seeded random token-id prompts instead of text (a model without a tokenizer, e.g. a synthetic one); "
                        + "every --holdout-every-th is held out (measured), the others train learned/prior (default: ${DEFAULT-VALUE}: text prompts)")
        int randomPrompts;

        @Option(names = "--prompt-tokens", defaultValue = "16", description = "tokens per random prompt (default: ${DEFAULT-VALUE})")
        int promptTokens;

        @Option(names = "--prompt-seed", defaultValue = "1", description = "seed of the random prompts (default: ${DEFAULT-VALUE})")
        long promptSeed;

        /** The prompts as token ids of m; model names the folder whose name picks the built-in set. */
        IdPrompts resolve(StrataModel m, Path model) {
            if (randomPrompts > 0) {
                return IdPrompts.random(randomPrompts, promptTokens, m.config().vocabSize(), promptSeed, holdoutEvery);
            }
            Prompts text = Prompts.of(trainPrompts, prompts, Prompts.builtinSet(promptSet, model), holdoutEvery);
            if (!m.hasTokenizer()) {
                throw new IllegalArgumentException(m.dir() + " has no tokenizer.json: give --random-prompts N (token-id prompts)");
            }
            List<int[]> train = new ArrayList<>(), test = new ArrayList<>();
            for (String p : text.train()) train.add(m.encode(p));
            for (String p : text.test()) test.add(m.encode(p));
            return new IdPrompts(train, test, text.source());
        }
    }

    /** Training prompts and held-out prompts from files or the built-in set. */
    record Prompts(List<String> train, List<String> test, String source) {
        static Prompts of(Path trainFile, Path testFile, String builtinSet, int holdoutEvery) {
            if (holdoutEvery < 2) throw new IllegalArgumentException("--holdout-every: expected ≥ 2, found " + holdoutEvery);
            if (trainFile != null && testFile != null) {
                return new Prompts(BuiltinPrompts.read(trainFile), BuiltinPrompts.read(testFile), trainFile + " / " + testFile);
            }
            List<String> all = trainFile != null ? BuiltinPrompts.read(trainFile)
                    : testFile != null ? BuiltinPrompts.read(testFile)
                    : builtinSet.equals("genres") ? BuiltinPrompts.genres() : BuiltinPrompts.all();
            String source = trainFile != null ? trainFile.toString() : testFile != null ? testFile.toString() : "built-in (" + builtinSet + ")";
            List<String> train = new ArrayList<>(), test = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) (i % holdoutEvery == holdoutEvery - 1 ? test : train).add(all.get(i));
            return new Prompts(train, test, source + ", every " + holdoutEvery + "th held out");
        }

        static String builtinSet(String promptSet, Path model) {
            return switch (promptSet) {
                case "genres", "all" -> promptSet;
                case "auto" -> {
                    String n = model.toAbsolutePath().normalize().getFileName().toString();
                    yield n.startsWith("tiny-moe") ? "genres" : "all";
                }
                default -> throw new IllegalArgumentException("--prompt-set: expected genres, all or auto, found '" + promptSet + "'");
            };
        }
    }

    /** Prompts as token ids: training prompts (learned, prior) and measured ones. */
    record IdPrompts(List<int[]> train, List<int[]> test, String source) {
        /** n prompts of len uniform ids in [3, vocab) from seed; every holdoutEvery-th is measured. */
        static IdPrompts random(int n, int len, int vocab, long seed, int holdoutEvery) {
            if (holdoutEvery < 2 || n < holdoutEvery || len < 1) {
                throw new IllegalArgumentException("--random-prompts: expected N ≥ --holdout-every ≥ 2 and --prompt-tokens ≥ 1, found "
                        + n + ", " + holdoutEvery + ", " + len);
            }
            java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
            List<int[]> train = new ArrayList<>(), test = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int[] ids = new int[len];
                for (int t = 0; t < len; t++) ids[t] = 3 + r.nextInt(vocab - 3);
                (i % holdoutEvery == holdoutEvery - 1 ? test : train).add(ids);
            }
            return new IdPrompts(train, test, n + " random prompts of " + len + " token ids (seed " + seed + "), every "
                    + holdoutEvery + "th measured");
        }
    }

    /** Decode from a packed store with a small host budget: prefetch off vs each predictor. */
    @Command(name = "bench", mixinStandardHelpOptions = true,
            description = "Decode tokens/s and demand stall on the tiered store with prefetch off vs each predictor.")
    public static final class Bench implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "Hugging Face checkpoint folder (packed first) or packed store")
        Path model;

        @Option(names = "--store", description = "where to pack a checkpoint (reused when present; default: java.io.tmpdir/strata-predict/NAME)")
        Path store;

        @Option(names = "--host-fraction", defaultValue = "0.25",
                description = "host budget as a fraction of all experts, rounded up to whole experts (default: ${DEFAULT-VALUE})")
        double hostFraction;

        @Option(names = "--host-budget", description = "host budget in bytes or with units (overrides --host-fraction)")
        String hostBudget;

        @Option(names = "--fast-budget", description = "fast-tier budget (default: the host budget)")
        String fastBudget;

        @Option(names = "--policy", defaultValue = "lru", description = "eviction policy of both tiers: lru, lfu, random (default: ${DEFAULT-VALUE})")
        String policy;

        @Option(names = "--loader-threads", defaultValue = "2", description = "SSD loader threads (default: ${DEFAULT-VALUE})")
        int loaderThreads;

        @Option(names = "--predictor", split = ",", defaultValue = "off,lookahead,learned,prior",
                description = "off, lookahead, lookahead-norm, learned, prior, NAME-gated, oracle (knows the routes from an unmeasured "
                        + "recording of the measured prompts: the upper bound of prefetch) (default: ${DEFAULT-VALUE})")
        List<String> predictors;

        @Option(names = "--gate-min-recall", defaultValue = "0.5", description = "threshold of the -gated predictors (default: ${DEFAULT-VALUE})")
        double gateMinRecall;

        @Option(names = "--depth", split = ",", defaultValue = "1", description = "look-ahead distances (default: ${DEFAULT-VALUE})")
        int[] depths;

        @Option(names = "--top-m", split = ",", defaultValue = "0",
                description = "experts hinted per predicted layer, 0 = the model's top-k; several values are measured side by side (default: ${DEFAULT-VALUE})")
        int[] topMs;

        @Mixin
        PromptOptions promptOpts;

        @Option(names = "--gen-tokens", defaultValue = "32", description = "greedy tokens decoded per prompt (default: ${DEFAULT-VALUE})")
        int genTokens;

        @Option(names = "--repeat", defaultValue = "2", description = "rounds over all configurations (default: ${DEFAULT-VALUE})")
        int repeat;

        @Option(names = "--learned", description = "learned predictor JSON (else trained on the training prompts)")
        Path learnedIn;

        @Option(names = "--score-train", description = "also score every predictor offline on the recorded training prompts "
                + "(precision/recall where learned and prior were fitted; beside the measured prompts' live figures, it shows overfitting)")
        boolean scoreTrain;

        @Option(names = "--epochs", defaultValue = "12", description = "learned predictor epochs (default: ${DEFAULT-VALUE})")
        int epochs;

        @Option(names = "--save-learned", description = "write the trained learned predictor (JSON) here")
        Path learnedOut;

        @Option(names = "--json", description = "write the results as JSON to this file")
        Path json;

        @Option(names = "--backend", defaultValue = "cpu", description = "auto, cpu or cuda (default: ${DEFAULT-VALUE})")
        String backend;

        @Override
        public Integer call() throws Exception {
            for (String p : predictors) if (!p.equals("off")) Factory.check(p);
            Path dir = model;
            if (!io.strata.engine.api.ModelLoader.isPackedStore(model)) {
                dir = store != null ? store : Path.of(System.getProperty("java.io.tmpdir"), "strata-predict",
                        model.toAbsolutePath().normalize().getFileName() + "-bf16");
                if (!io.strata.engine.api.ModelLoader.isPackedStore(dir)) {
                    System.out.println("packing " + model + " into " + dir);
                    java.nio.file.Files.createDirectories(dir.getParent());
                    PackCommand pack = new PackCommand();
                    pack.model = model;
                    pack.out = dir;
                    pack.codec = "bf16";
                    pack.noProgress = true;
                    pack.call();
                }
            }
            long slot = io.strata.bench.predict.PrefetchBenchmark.expertBytes(dir);
            io.strata.engine.model.ModelConfig c;
            try (var pstore = io.strata.tiering.store.PackedStore.open(dir)) {
                c = io.strata.engine.model.ModelConfig.parse(pstore.manifest().model(), dir);
            }
            long totalExperts = (long) c.numMoeLayers() * c.numExperts();
            long host = hostBudget != null ? io.strata.tiering.host.ByteSize.parse(hostBudget)
                    : (long) Math.ceil(totalExperts * hostFraction) * slot;
            long fast = fastBudget != null ? io.strata.tiering.host.ByteSize.parse(fastBudget) : 0;
            var setup = new io.strata.bench.predict.PrefetchBenchmark.Setup(dir, host, fast, policy, backend, loaderThreads);
            int[] ms = java.util.Arrays.stream(topMs).map(v -> v > 0 ? v : c.topK()).toArray();
            int mm = java.util.Arrays.stream(ms).max().orElse(c.topK()); // what learned/prior/gated are built for
            IdPrompts pr;
            List<int[]> testIds;
            List<ExpertPredictor> ps = new ArrayList<>();
            List<Object> trainLog = new ArrayList<>();
            PredictorEval.Report trainFit = null;
            int maxDepth = java.util.Arrays.stream(depths).max().orElse(1);
            // Routing is recorded (and the predictors built) under the measured budgets: the routes do not depend
            // on them, and a store the size of every expert may not fit in memory.
            try (StrataModel m = io.strata.bench.predict.PrefetchBenchmark.open(setup, 4096)) {
                pr = promptOpts.resolve(m, model);
                testIds = pr.test();
                StrataModel fm = m;
                IdPrompts fpr = pr;
                RoutingDataset[] trainData = new RoutingDataset[1];
                var opt = new LearnedPredictor.Options(512, new Mlp.TrainOptions(epochs, 32, 1e-3f, 1));
                Factory f = new Factory(m, () -> {
                    if (trainData[0] == null) {
                        long t0 = System.nanoTime();
                        trainData[0] = RoutingRuns.recordIds(fm, fpr.train(), null, genTokens);
                        System.out.printf(Locale.ROOT, "recorded %d training tokens (%d prompts, %d decoded each) in %.1f s%n",
                                trainData[0].totalTokens(), fpr.train().size(), genTokens, (System.nanoTime() - t0) / 1e9);
                    }
                    return trainData[0];
                }, () -> {
                    // The oracle's recording: the measured prompts, decoded as far as the measured runs decode them,
                    // so that every router input of those runs repeats one recorded here.
                    long t0 = System.nanoTime();
                    RoutingDataset d = RoutingRuns.recordIds(fm, fpr.test(), null, genTokens);
                    System.out.printf(Locale.ROOT, "recorded %d measured tokens for the oracle (%d prompts, %d decoded each) in %.1f s%n",
                            d.totalTokens(), fpr.test().size(), genTokens, (System.nanoTime() - t0) / 1e9);
                    return d;
                }, maxDepth, mm, opt, learnedIn, learnedOut, gateMinRecall);
                for (String p : predictors) ps.add(p.equals("off") ? null : f.get(p));
                if (f.trainSeconds > 0) System.out.printf(Locale.ROOT, "trained the learned predictor in %.1f s%n", f.trainSeconds);
                trainLog.addAll(trainLogJson(f.log));
                // The oracle knows only the measured prompts: on the training prompts it would score nothing, and
                // its lookups there would count as failures of the measured runs.
                List<ExpertPredictor> scored = ps.stream().filter(p -> p != null && !(p instanceof OraclePredictor)).toList();
                if (scoreTrain && !scored.isEmpty()) {
                    RoutingDataset d = f.train.get();
                    trainFit = PredictorEval.run(scored, depths, mm, d, d.sequences());
                    System.out.println("offline, on the training prompts:");
                    System.out.print(trainFit.table());
                }
            }
            System.out.printf(Locale.ROOT, "store %s: %d layers x %d experts of %.2f MiB; host budget %.2f MiB = %d experts (%.1f%%); policy %s; %d loader threads%n",
                    dir, c.numMoeLayers(), c.numExperts(), slot / 1048576.0, host / 1048576.0, host / slot, 100.0 * (host / slot) / totalExperts, policy, loaderThreads);
            System.out.printf(Locale.ROOT, "measured prompts: %d (%s), %d tokens decoded each%n", testIds.size(), pr.source(), genTokens);
            System.out.printf(Locale.ROOT, "machine: %s%n", BenchCommand.machine());
            String readMode;
            try (StrataModel probe = io.strata.bench.predict.PrefetchBenchmark.open(
                    new io.strata.bench.predict.PrefetchBenchmark.Setup(dir, host, fast, policy, backend, loaderThreads), 16)) {
                int l0 = 0;
                while (!c.moeLayer()[l0]) l0++;
                String why = io.strata.bench.predict.PrefetchBenchmark.readMode(probe, l0, 0);
                readMode = why == null ? "direct (O_DIRECT)" : "buffered: " + why;
            }
            System.out.println("expert reads: " + readMode);
            // Warm-up: JIT-compiles the forward pass so the first measured configuration is not penalised.
            io.strata.bench.predict.PrefetchBenchmark.run(setup, null, 1, mm, testIds.subList(0, Math.min(2, testIds.size())), Math.min(8, genTokens), -1);
            List<io.strata.bench.predict.PrefetchBenchmark.Result> rs = new ArrayList<>();
            for (int round = 0; round < repeat; round++) {
                for (ExpertPredictor p : ps) {
                    for (int d : (p == null ? new int[] {1} : depths)) {
                        for (int mi : (p == null ? new int[] {ms[0]} : ms)) {
                            var r = io.strata.bench.predict.PrefetchBenchmark.run(setup, p, d, mi, testIds, genTokens, round);
                            rs.add(r);
                            System.out.print(io.strata.bench.predict.PrefetchBenchmark.table(List.of(r)).lines()
                                    .skip(round == 0 && rs.size() == 1 ? 0 : 1).map(l -> l + "\n").reduce("", String::concat));
                        }
                    }
                }
            }
            OraclePredictor oracle = null;
            for (ExpertPredictor p : ps) if (p instanceof OraclePredictor o) oracle = o;
            if (oracle != null) {
                System.out.printf(Locale.ROOT, "oracle: %d lookups, %d matched within relative L2 distance %.0e but not bit for bit, "
                        + "%d failures (router inputs not in its recording)%n", oracle.lookups(), oracle.nearMatches(), oracle.tolerance(),
                        oracle.lookupFailures());
                if (oracle.lookupFailures() > 0) {
                    System.out.printf(Locale.ROOT, "warning: the oracle did not see every router input (%d of %d lookups failed; "
                            + "did greedy decoding take another token?): its results are not an upper bound%n", oracle.lookupFailures(), oracle.lookups());
                }
            }
            if (json != null) {
                Map<String, Object> root = new LinkedHashMap<>();
                root.put("model", model.toString());
                root.put("store", dir.toString());
                root.put("backend", backend);
                root.put("num_moe_layers", c.numMoeLayers());
                root.put("num_experts", c.numExperts());
                root.put("top_k", c.topK());
                root.put("expert_bytes", slot);
                root.put("host_budget_bytes", host);
                root.put("host_budget_experts", host / slot);
                root.put("fast_budget_bytes", fast > 0 ? fast : host);
                root.put("policy", policy);
                root.put("loader_threads", loaderThreads);
                root.put("read_mode", readMode);
                root.put("gate_min_recall", gateMinRecall);
                root.put("machine", BenchCommand.machine());
                root.put("prompts", pr.source());
                root.put("train_prompts", pr.train().size());
                root.put("measured_prompts", testIds.size());
                root.put("decode_tokens_per_prompt", genTokens);
                root.put("m", ms);
                if (!trainLog.isEmpty()) root.put("learned_training", trainLog);
                if (trainFit != null) root.put("train_fit", trainFit.toJson());
                if (oracle != null) {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("lookups", oracle.lookups());
                    o.put("near_matches", oracle.nearMatches());
                    o.put("tolerance", oracle.tolerance());
                    o.put("lookup_failures", oracle.lookupFailures());
                    o.put("indexed_inputs", oracle.indexed());
                    root.put("oracle", o);
                }
                root.put("runs", io.strata.bench.predict.PrefetchBenchmark.json(rs));
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), root);
            }
            return 0;
        }
    }
}
