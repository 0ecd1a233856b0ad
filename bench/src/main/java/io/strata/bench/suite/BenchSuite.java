// strata bench: end-to-end prefill (pp) and decode (tg) over a test matrix, llama-bench style, judged against bounds
// measured in the same run.
package io.strata.bench.suite;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strata.compression.HugePages;
import io.strata.compression.kernel.Parallel;
import io.strata.engine.api.EngineOptions;
import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.engine.generate.GenerationResult;
import io.strata.engine.generate.SamplingConfig;
import io.strata.tiering.TieredExpertStore;
import io.strata.tiering.Tier;
import io.strata.tiering.stats.StoreStats;
import io.strata.tiering.store.PackedStore;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Runs every combination of the matrix ({@link Spec}): for each model × codec × backend × host budget × policy ×
 * prefetch × threads it loads the model once, warms it up until the JIT is steady (rounds of one prefill and one
 * short decode until both change by less than {@link Spec#warmupTolerance} from the round before, reported apart),
 * then runs each test {@code ppN} (a prompt of N tokens, its prefill speed) and {@code tgN} (N tokens decoded after a
 * one-token prompt) {@link Spec#reps} times: mean ± sample standard deviation, as llama-bench reports. Between
 * repetitions it samples memory bandwidth and, for a tiered store, SSD bandwidth ({@link Bounds}); a decode row's
 * bound is the smaller of active bytes per token over memory bandwidth and SSD bytes per token over SSD bandwidth,
 * and the row names which.
 *
 * <p>The CPU kernel thread count is fixed per JVM ({@code -Dstrata.threads}), so each thread count other than this
 * JVM's runs in a child JVM with the same class path and options ({@link #main}).
 */
public final class BenchSuite {
    /** The matrix. Lists are the axes; a codec applies to presets only (a folder is measured as it is). */
    public record Spec(List<String> models, List<Integer> prompts, List<Integer> gens, List<String> codecs, List<String> backends,
                       List<String> hostBudgets, List<String> policies, List<String> prefetch, List<Integer> threads,
                       int reps, int warmupMax, double warmupTolerance, Path cacheDir) {
        public Spec {
            if (models.isEmpty()) throw new IllegalArgumentException("-m: give at least one model folder, store or preset");
            if (prompts.isEmpty() && gens.isEmpty()) throw new IllegalArgumentException("-p/-n: give at least one prompt or generation size");
            for (int p : prompts) if (p < 1) throw new IllegalArgumentException("-p: prompt sizes must be >= 1, found " + p);
            for (int n : gens) if (n < 1) throw new IllegalArgumentException("-n: generation sizes must be >= 1, found " + n);
            for (int t : threads) if (t < 1) throw new IllegalArgumentException("-t: thread counts must be >= 1, found " + t);
            if (reps < 1) throw new IllegalArgumentException("-r: repetitions must be >= 1, found " + reps);
            if (warmupMax < 1) throw new IllegalArgumentException("--warmup-max must be >= 1, found " + warmupMax);
        }
    }

    /** One point of the matrix. hostBudget: "-" (the store's default: every expert fits), a fraction of all expert bytes, or a size. */
    public record Config(String model, String codec, String backend, String hostBudget, String policy, String prefetch, int threads) {}

    /**
     * One test of one configuration. Speeds in tokens/s, bandwidths in bytes/s; the store figures are per token
     * processed (prompt tokens for pp, one-token prompt plus decoded tokens for tg) and null without a tiered store.
     */
    public record Row(String model, String path, String arch, long sizeBytes, long params, String codec, String backend, int threads,
                      String hostBudget, Long hostBudgetBytes, String policy, String prefetch, String test, int nPrompt, int nGen,
                      double[] samples, double mean, double stddev, double[] warmupTg, double[] warmupPp, boolean warmupSteady,
                      long activeBytesPerToken, double memoryBw, double ssdBw, Boolean ssdDirect, String bound, double boundTps,
                      double ratio, Double fastHitRate, Double hostHitRate, Double ssdBytesPerToken, Double bytesMovedPerToken,
                      Double stallMsPerToken, Prefetch prefetchStats, double hugePageShare) {}

    /**
     * What a test's prefetch hints did, summed over its repetitions (null without prefetch): hints that started a load,
     * acquires served by a prefetched expert (useful; late: of those, the acquires that still waited for its read),
     * hints withdrawn before their read, and hints dropped for want of a slot.
     */
    public record Prefetch(long issued, long useful, long late, long cancelled, long dropped) {}

    private final Spec spec;
    private final PrintStream log;

    public BenchSuite(Spec spec, PrintStream log) {
        this.spec = spec;
        this.log = log;
    }

    /** Every configuration of the matrix, in order (threads outermost: one JVM each). */
    public List<Config> configs() {
        List<Config> out = new ArrayList<>();
        List<Integer> threads = spec.threads().isEmpty() ? List.of(0) : spec.threads();
        for (int t : threads)
            for (String m : spec.models())
                for (String codec : SynthPresets.isPreset(m) ? spec.codecs() : List.of("-"))
                    for (String b : spec.backends())
                        for (String hb : spec.hostBudgets())
                            for (String pol : spec.policies())
                                for (String pf : spec.prefetch()) out.add(new Config(m, codec, b, hb, pol, pf, t));
        return out;
    }

    /** Runs the matrix; thread counts this JVM cannot run go to child JVMs. */
    public List<Row> run() throws Exception {
        LinkedHashSet<Integer> threads = new LinkedHashSet<>(spec.threads().isEmpty() ? List.of(0) : spec.threads());
        List<Row> rows = new ArrayList<>();
        for (int t : threads) {
            if (t == 0 || canRunHere(t)) rows.addAll(runHere(t));
            else rows.addAll(runChild(t));
        }
        return rows;
    }

    /** True when this JVM's kernel pool has (or, not yet started, will have) t threads. */
    private static boolean canRunHere(int t) {
        if (System.getProperty("strata.threads") == null) System.setProperty("strata.threads", Integer.toString(t));
        return Parallel.threads() == t;
    }

    private List<Row> runChild(int t) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("strata-bench");
        try {
            Path in = dir.resolve("spec.json"), out = dir.resolve("rows.json");
            Spec one = new Spec(spec.models(), spec.prompts(), spec.gens(), spec.codecs(), spec.backends(), spec.hostBudgets(), spec.policies(),
                    spec.prefetch(), List.of(t), spec.reps(), spec.warmupMax(), spec.warmupTolerance(), spec.cacheDir());
            mapper().writeValue(in.toFile(), one);
            List<String> cmd = new ArrayList<>();
            cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) if (!a.startsWith("-Dstrata.threads=")) cmd.add(a);
            cmd.add("-Dstrata.threads=" + t);
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), BenchSuite.class.getName(), in.toString(), out.toString()));
            log.printf("-t %d: in a child JVM (this JVM's kernel pool has %d threads)%n", t, Parallel.threads());
            Process p = new ProcessBuilder(cmd).inheritIO().start();
            int rc = p.waitFor();
            if (rc != 0) throw new IOException("the child JVM for -t " + t + " exited with " + rc + ": " + String.join(" ", cmd));
            return List.of(mapper().readValue(out.toFile(), Row[].class));
        } finally {
            try (var s = Files.list(dir)) {
                for (Path f : s.toList()) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        }
    }

    /** Child JVM entry: args = spec JSON file, output JSON file (the rows). */
    public static void main(String[] args) throws Exception {
        Spec s = mapper().readValue(Path.of(args[0]).toFile(), Spec.class);
        List<Row> rows = new BenchSuite(s, System.out).runHere(s.threads().get(0));
        mapper().writeValue(Path.of(args[1]).toFile(), rows);
    }

    static ObjectMapper mapper() {
        return new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    }

    private List<Row> runHere(int t) throws Exception {
        List<Row> rows = new ArrayList<>();
        try (Bounds bounds = new Bounds()) {
            for (Config c : configs()) {
                if (c.threads() != t) continue;
                rows.addAll(runConfig(c, bounds));
            }
            log.println(bounds.describe());
        }
        return rows;
    }

    /** The folder a configuration runs: the model as given, or its preset written in its codec. */
    private Path folder(Config c) throws IOException {
        if (SynthPresets.isPreset(c.model()) && !Files.exists(Path.of(c.model()))) {
            return SynthPresets.materialize(c.model(), c.codec(), spec.cacheDir(), log);
        }
        Path p = Path.of(c.model());
        if (!Files.isDirectory(p)) {
            throw new IllegalArgumentException("-m " + c.model() + ": not a checkpoint folder, packed store or preset (presets: " + SynthPresets.NAMES + ")");
        }
        return p;
    }

    /** The host budget in bytes ("-" = null: the store's default), a fraction of all expert slots or a size. */
    static Long hostBudgetBytes(String hb, Path dir) {
        if (hb.equals("-")) return null;
        if (!ModelLoader.isPackedStore(dir)) {
            throw new IllegalArgumentException("host budget " + hb + ": " + dir + " is a checkpoint folder, which has no tiers; pack it with"
                    + " `strata pack --model " + dir + " --out STORE` or give a preset a store codec (-c int4)");
        }
        if (hb.matches("[0-9]*\\.[0-9]+|[01]")) {
            double f = Double.parseDouble(hb);
            if (f <= 0 || f > 1) throw new IllegalArgumentException("host budget fraction must be in (0, 1], found " + hb);
            try (PackedStore ps = PackedStore.open(dir)) {
                return (long) Math.ceil(f * ps.numLayers() * ps.numExperts()) * ps.maxExpertBytes();
            }
        }
        return EngineOptions.builder().hostBudget(hb).build().hostBudget();
    }

    private List<Row> runConfig(Config c, Bounds bounds) throws Exception {
        Path dir = folder(c);
        Long budget = hostBudgetBytes(c.hostBudget(), dir);
        EngineOptions.Builder ob = EngineOptions.builder().backend(c.backend()).threads(c.threads());
        if (budget != null) ob.hostBudget(budget);
        if (!c.policy().equals("-")) ob.policy(c.policy());
        if (!c.prefetch().equals("-")) ob.prefetch(c.prefetch());
        int maxP = spec.prompts().stream().mapToInt(Integer::intValue).max().orElse(1);
        int maxN = spec.gens().stream().mapToInt(Integer::intValue).max().orElse(1);
        ob.context(Math.max(256, maxP + maxN + 16));
        List<Row> rows = new ArrayList<>();
        try (StrataModel m = ModelLoader.load(dir, ob.build())) {
            TieredExpertStore tiered = ModelLoader.tieredStore(m);
            if (tiered != null) bounds.ssdFileFrom(tiered.packedStore().directory());
            String codec = tiered != null ? tiered.packedStore().codec() : "checkpoint";
            int vocab = m.config().vocabSize();
            log.printf(Locale.ROOT, "== %s (%s) | codec %s | backend %s | threads %d | host budget %s | policy %s | prefetch %s%n",
                    c.model(), dir, codec, m.model().backend().name(), Parallel.threads(), budget == null ? "-" : budget + " B", c.policy(), c.prefetch());
            // Warm-up: the JIT compiles the kernels in tiers; steady when a round's speeds are within the tolerance of the last.
            int wp = spec.prompts().isEmpty() ? 0 : spec.prompts().get(0), wn = spec.gens().isEmpty() ? 8 : spec.gens().get(0);
            List<Double> wTg = new ArrayList<>(), wPp = new ArrayList<>();
            boolean steady = false;
            for (int round = 0; round < spec.warmupMax() && !steady; round++) {
                if (wp > 0) wPp.add(m.generateFixed(prompt(wp, vocab, 1000 + round), 1, SamplingConfig.GREEDY).prefillTokensPerSecond());
                wTg.add(m.generateFixed(prompt(1, vocab, 2000 + round), wn + 1, SamplingConfig.GREEDY).decodeTokensPerSecond());
                steady = round > 0 && close(wTg, spec.warmupTolerance()) && (wp == 0 || close(wPp, spec.warmupTolerance()));
            }
            log.printf(Locale.ROOT, "warm-up: %d rounds, %s; decode t/s %s%s%n", wTg.size(), steady ? "steady" : "not steady within --warmup-max",
                    fmt(wTg), wp > 0 ? ", prefill t/s " + fmt(wPp) : "");
            long active = ActiveBytes.perToken(m);
            List<String> tests = new ArrayList<>();
            for (int p : spec.prompts()) tests.add("pp" + p);
            for (int n : spec.gens()) tests.add("tg" + n);
            for (String test : tests) {
                boolean pp = test.startsWith("pp");
                int size = Integer.parseInt(test.substring(2));
                double[] tps = new double[spec.reps()];
                StoreStats sum = null;
                long tokens = 0;
                for (int r = 0; r < spec.reps(); r++) {
                    bounds.sampleMemory();
                    if (tiered != null) bounds.sampleSsd();
                    StoreStats before = tiered != null ? tiered.stats() : null;
                    GenerationResult g = pp ? m.generateFixed(prompt(size, vocab, r), 1, SamplingConfig.GREEDY)
                            : m.generateFixed(prompt(1, vocab, r), size + 1, SamplingConfig.GREEDY);
                    tps[r] = pp ? g.prefillTokensPerSecond() : g.decodeTokensPerSecond();
                    tokens += pp ? size : size + 1;
                    if (tiered != null) {
                        StoreStats d = tiered.stats().minus(before);
                        sum = sum == null ? d : sum.plus(d);
                    }
                }
                double mem = Bounds.median(bounds.memorySamples()), ssd = Bounds.median(bounds.ssdSamples());
                String bound = "none (prefill: compute)";
                double boundTps = Double.NaN;
                Double ssdPerTok = sum == null ? null : (double) sum.ssdBytesRead() / tokens;
                if (!pp) {
                    // Weights read per token that fit the last-level cache, or nearly, are partly served from it: the
                    // DRAM figure is then no bound (tiny-moe: 47 MB; one OLMoE layer: 340 MB against a 300 MiB L3).
                    bound = active < 2 * bounds.llcBytes() ? "memory (active weights < 2x LLC: partly cached; not binding)" : "memory";
                    boundTps = mem / active;
                    if (ssdPerTok != null && ssdPerTok > 0 && ssd > 0) {
                        double s = ssd / ssdPerTok;
                        if (s < boundTps) {
                            bound = Boolean.TRUE.equals(bounds.ssdDirect()) ? "ssd" : "ssd (page cache: O_DIRECT refused)";
                            boundTps = s;
                        }
                    }
                }
                double mean = mean(tps), sd = stddev(tps);
                // weights in 2 MiB pages read faster than in 4 KiB ones (HugePages): a run says how many it had
                double hugePages = HugePages.residentShare();
                String backend = m.model().backend().name().replaceFirst(" \\(.*", ""); // "cpu (vector-512, 2 threads)": threads have their column
                rows.add(new Row(c.model(), dir.toString(), m.config().arch().modelType, sizeOnDisk(dir), params(m), codec, backend,
                        Parallel.threads(), c.hostBudget(), budget, c.policy(), c.prefetch(), test, pp ? size : 1, pp ? 0 : size, tps, mean, sd,
                        wTg.stream().mapToDouble(Double::doubleValue).toArray(), wPp.stream().mapToDouble(Double::doubleValue).toArray(), steady,
                        active, mem, tiered != null ? ssd : Double.NaN, tiered != null ? bounds.ssdDirect() : null, bound, boundTps,
                        Double.isNaN(boundTps) ? Double.NaN : mean / boundTps,
                        sum == null ? null : sum.fastHitRate(), sum == null ? null : sum.hostHitRate(), ssdPerTok,
                        sum == null ? null : (double) (sum.ssdBytesRead() + sum.promotedBytes()) / tokens,
                        sum == null ? null : (sum.waitNs(Tier.HOST) + sum.waitNs(Tier.SSD)) / 1e6 / tokens,
                        sum == null || c.prefetch().equals("-") ? null : new Prefetch(sum.prefetchIssued(), sum.prefetchUseful(),
                                sum.prefetchLate(), sum.prefetchCancelled(), sum.prefetchDropped()), hugePages));
                log.printf(Locale.ROOT, "%-6s %10.2f ± %.2f t/s%s | %s of resident memory in 2 MiB pages%n", test, mean, sd,
                        Double.isNaN(boundTps) ? "" : String.format(Locale.ROOT, " | %s bound %.2f t/s | %.2f of it", bound, boundTps, mean / boundTps),
                        Double.isNaN(hugePages) ? "-" : String.format(Locale.ROOT, "%.0f %%", 100 * hugePages));
            }
        }
        return rows;
    }

    /** n random token ids in [3, vocab) (0..2 are often special), the same for the same seed. */
    static int[] prompt(int n, int vocab, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = 3 + r.nextInt(Math.max(1, vocab - 3));
        return p;
    }

    /** The last two values differ by less than tol of the earlier. */
    static boolean close(List<Double> xs, double tol) {
        if (xs.size() < 2) return false;
        double a = xs.get(xs.size() - 2), b = xs.get(xs.size() - 1);
        return a > 0 && Math.abs(b - a) / a < tol;
    }

    static double mean(double[] xs) {
        double s = 0;
        for (double x : xs) s += x;
        return s / xs.length;
    }

    /** Sample standard deviation (n - 1); 0 for one sample. */
    static double stddev(double[] xs) {
        if (xs.length < 2) return 0;
        double m = mean(xs), s = 0;
        for (double x : xs) s += (x - m) * (x - m);
        return Math.sqrt(s / (xs.length - 1));
    }

    private static String fmt(List<Double> xs) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < xs.size(); i++) b.append(i > 0 ? ", " : "").append(String.format(Locale.ROOT, "%.2f", xs.get(i)));
        return b.append(']').toString();
    }

    /** Bytes of the folder's files (the model as it lies on disk). */
    static long sizeOnDisk(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /** Parameters: dense weights and every routed expert (gate, up, down). */
    static long params(StrataModel m) {
        var c = m.config();
        long moeLayers = 0;
        for (var L : m.model().weights().layers) if (L.router != null) moeLayers++;
        long experts = moeLayers * c.numExperts() * 3L * c.hidden() * c.expertIntermediate();
        var w = m.model().weights();
        long dense = w.embed.rows() * (long) w.embed.cols() + w.lmHead.rows() * (long) w.lmHead.cols();
        for (var L : w.layers) {
            for (var t : java.util.Arrays.asList(L.wq, L.wk, L.wv, L.wo, L.router)) {
                if (t != null) dense += t.rows() * (long) t.cols();
            }
        }
        return dense + experts;
    }
}
