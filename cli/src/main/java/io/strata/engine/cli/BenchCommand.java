// strata bench: the benchmark suite's test matrix (llama-bench's conventions), and `bench decode`, one decode run
// against its bound.
package io.strata.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.bench.suite.ActiveBytes;
import io.strata.bench.suite.BenchOutput;
import io.strata.bench.suite.BenchSuite;
import io.strata.bench.suite.SweepPlot;
import io.strata.bench.suite.SynthPresets;
import io.strata.compression.kernel.StreamRead;
import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.engine.generate.GenerationResult;
import io.strata.engine.generate.SamplingConfig;
import io.strata.engine.model.ModelConfig;
import io.strata.tiering.TieredExpertStore;
import io.strata.tiering.stats.StoreStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = BenchCommand.Decode.class, sortOptions = false,
        description = {"Prefill (ppN) and decode (tgN) tokens/s over a test matrix, as llama-bench: every combination of the list options runs,"
                + " each test -r times (mean ± standard deviation) after a warm-up that runs until the JIT is steady (reported apart).",
                "Memory bandwidth (a working set of 4x the last-level cache) and, for packed stores, SSD bandwidth (O_DIRECT reads) are sampled"
                        + " between repetitions; each decode row is judged against the smaller bound and names it.",
                "Lists are comma-separated. Example: strata bench -m olmoe-1b-7b@4 -c checkpoint,int4 -p 32 -n 32 -r 3 -t 2"})
public final class BenchCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, split = ",", paramLabel = "DIR|STORE|PRESET[@LAYERS]",
            description = "models: checkpoint folders, packed stores or synthetic presets (listed below; @L keeps the first L layers)")
    List<String> models = new ArrayList<>();

    @Option(names = {"-p", "--n-prompt"}, split = ",", paramLabel = "N", description = "prompt sizes (ppN: prefill tokens/s) (default: 32)")
    List<Integer> prompts;

    @Option(names = {"-n", "--n-gen"}, split = ",", paramLabel = "N", description = "generation sizes (tgN: decode tokens/s after a one-token prompt) (default: 32)")
    List<Integer> gens;

    @Option(names = {"-c", "--codec"}, split = ",", defaultValue = "checkpoint",
            description = "for presets: checkpoint (bf16 safetensors folder) or a store codec written straight from the shape (int8, int4, int3, int2)"
                    + " (default: ${DEFAULT-VALUE}); folders are measured as they are")
    List<String> codecs;

    @Option(names = {"-b", "--backend"}, split = ",", defaultValue = "cpu", description = "backends: cpu, cuda, auto (default: ${DEFAULT-VALUE})")
    List<String> backends;

    @Option(names = "--host-budget", split = ",", defaultValue = "-",
            description = "packed stores: host-tier budgets, as a fraction of all expert bytes (0.25) or a size (2GiB); - = every expert fits (default: ${DEFAULT-VALUE})")
    List<String> hostBudgets;

    @Option(names = "--policy", split = ",", defaultValue = "-", description = "eviction policies (lru, lfu, ...); - = the default (default: ${DEFAULT-VALUE})")
    List<String> policies;

    @Option(names = "--prefetch", split = ",", defaultValue = "-", description = "prefetch predictors (lookahead, ...); - = off (default: ${DEFAULT-VALUE})")
    List<String> prefetch;

    @Option(names = {"-t", "--threads"}, split = ",", paramLabel = "N",
            description = "CPU kernel threads; each count other than this JVM's runs in a child JVM (default: one per processor)")
    List<Integer> threads = new ArrayList<>();

    @Option(names = {"-r", "--repetitions"}, defaultValue = "5", description = "repetitions of each test (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--warmup-max", defaultValue = "10", description = "warm-up rounds at most (default: ${DEFAULT-VALUE})")
    int warmupMax;

    @Option(names = "--warmup-tolerance", defaultValue = "0.05",
            description = "warm-up ends when a round's prefill and decode speeds are within this share of the round before (default: ${DEFAULT-VALUE})")
    double warmupTolerance;

    @Option(names = {"-o", "--output"}, defaultValue = "md", description = "stdout format: md, csv, json, jsonl (default: ${DEFAULT-VALUE})")
    String output;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the rows and the run's bounds and machine as JSON here, and the sweep's plot beside it (FILE with .png)")
    Path json;

    @Option(names = "--cache-dir", description = "where presets are written (default: ~/.cache/strata)")
    Path cacheDir;

    /**
     * The command with its help footer: the presets and their size on disk, computed from their shapes when the help
     * is shown: computed for every command line, they delayed every command (48 ms of `strata --version`,
     * bench/results/cpu-speed/early-jit/help-footer.txt).
     */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new BenchCommand());
        cl.getCommandSpec().usageMessage().width(140); // one preset per line
        cl.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER, help -> String.format(Locale.ROOT,
                "%nSynthetic presets (random weights, written to --cache-dir on first use; a warning comes before writing more than %d GB):%n%s",
                SynthPresets.WARN_BYTES / 1_000_000_000, SynthPresets.helpTable()));
        return cl;
    }

    @Override
    public Integer call() throws Exception {
        if (models.isEmpty()) {
            CommandLine.usage(this, System.out);
            throw new IllegalArgumentException("-m: give at least one model (folder, store or preset), or a subcommand (decode)");
        }
        if (!BenchOutput.FORMATS.contains(output)) throw new IllegalArgumentException("-o: expected one of " + BenchOutput.FORMATS + ", found '" + output + "'");
        Path cache = cacheDir != null ? cacheDir : Path.of(System.getProperty("user.home"), ".cache", "strata");
        var spec = new BenchSuite.Spec(models, prompts != null ? prompts : List.of(32), gens != null ? gens : List.of(32), codecs, backends,
                hostBudgets, policies, prefetch, threads, reps, warmupMax, warmupTolerance, cache);
        List<BenchSuite.Row> rows = new BenchSuite(spec, System.err).run();
        ObjectNode meta = new ObjectMapper().createObjectNode();
        meta.put("command", "strata bench " + String.join(" ", ProcessHandle.current().info().arguments().map(List::of).orElse(List.of())
                .stream().dropWhile(a -> !a.equals("bench")).skip(1).toList()));
        meta.put("machine", machine());
        meta.put("date", java.time.Instant.now().toString());
        meta.put("memory_pages", io.strata.compression.HugePages.status()); // how the weights in memory and the memory bound get their pages
        String out = BenchOutput.format(output, rows, meta);
        System.out.print(out);
        if (json != null) {
            Files.writeString(json, BenchOutput.format("json", rows, meta));
            String name = json.getFileName().toString();
            Path png = json.resolveSibling((name.endsWith(".json") ? name.substring(0, name.length() - 5) : name) + ".png");
            SweepPlot.write(rows, "strata bench (" + machine() + ")", png);
            System.err.println("wrote " + json + " and " + png);
        }
        return 0;
    }

    @Command(name = "decode", mixinStandardHelpOptions = true,
            description = "Decode tokens/s and its ratio to the bound set by active bytes per token over measured read bandwidth.")
    public static final class Decode implements Callable<Integer> {
        @Option(names = "--model", description = "checkpoint folder or packed store")
        Path model;

        @Option(names = "--preset", description = "synthetic model preset written to --cache-dir if absent (e.g. olmoe-1b-7b, olmoe-1b-7b@4; see strata bench --help)")
        String preset;

        @Option(names = "--cache-dir", description = "where synthetic models are written (default: ~/.cache/strata)")
        Path cacheDir;

        @Option(names = "--codec", description = "with --preset: write the synthetic model straight into a packed store with experts"
                + " in this group-quantizing codec (int8, int4, int3, int2) instead of a bf16 checkpoint")
        String codec;

        @Option(names = "--prompt-tokens", defaultValue = "16")
        int promptTokens;

        @Option(names = "--tokens", defaultValue = "32", description = "tokens to decode")
        int tokens;

        @Option(names = "--warmup", defaultValue = "2",
                description = "tokens decoded before the measured run (JIT, first reads; more fills the tiers) (default: ${DEFAULT-VALUE})")
        int warmup;

        @Option(names = "--warmup-runs", defaultValue = "1",
                description = "warm-up generations of --warmup tokens, one after another, before the measured one: a fresh JVM"
                        + " decodes a small model at half its steady speed after one (default: ${DEFAULT-VALUE})")
        int warmupRuns = 1;

        @Option(names = "--json", description = "write results to this JSON file")
        Path json;

        @Mixin
        ModelOptions opts;

        @Mixin
        StoreOptions storeOpts;

        @Override
        public Integer call() throws Exception {
            if (warmupRuns < 1) throw new IllegalArgumentException("--warmup-runs " + warmupRuns + ": at least 1");
            Path dir = model;
            if (dir == null) {
                if (preset == null) throw new IllegalArgumentException("give --model DIR or --preset NAME");
                Path cache = cacheDir != null ? cacheDir : Path.of(System.getProperty("user.home"), ".cache", "strata");
                dir = SynthPresets.materialize(preset, codec != null ? codec : "checkpoint", cache, System.out);
            } else if (codec != null) {
                throw new IllegalArgumentException("--codec applies to --preset (a --model store already has its codec)");
            }
            try (StrataModel m = ModelLoader.load(dir, opts.engine(storeOpts))) {
                ModelConfig c = m.config();
                int[] prompt = new int[promptTokens];
                SplittableRandom r = new SplittableRandom(1);
                for (int i = 0; i < prompt.length; i++) prompt[i] = 3 + r.nextInt(c.vocabSize() - 3);
                // warm-up: touches the dense weights and JIT-compiles the kernels
                for (int w = 0; w < warmupRuns; w++) m.generateFixed(prompt, Math.max(1, warmup), SamplingConfig.GREEDY);
                TieredExpertStore tiered = ModelLoader.tieredStore(m);
                StoreStats[] atFirst = new StoreStats[1];
                var cuda = m.model().backend() instanceof io.strata.engine.backend.cuda.CudaBackend cb ? cb : null;
                long[][] vramAtFirst = new long[1][];
                long[] copiedAtFirst = new long[1];
                GenerationResult res = m.generateFixed(prompt, tokens, SamplingConfig.GREEDY, id -> {
                    if (atFirst[0] == null && tiered != null) atFirst[0] = tiered.stats(); // end of prefill
                    if (vramAtFirst[0] == null && cuda != null) {
                        StoreStats st = m.model().store().stats(); // the store owns VRAM: its fast tier is the GPU's
                        vramAtFirst[0] = new long[] {st.fastHits(), st.fastMisses()};
                        copiedAtFirst[0] = st.promotedBytes();
                    }
                    return true;
                });
                int decoded = Math.max(1, res.tokens().length - 1);
                double tps = res.decodeTokensPerSecond();
                long expertBytes = ActiveBytes.storedExpertBytes(m);
                long active = ActiveBytes.perToken(m);
                System.out.printf("model %s | backend %s%n", dir, m.model().backend().name());
                System.out.printf("prompt %d tokens: time to first token %.1f ms (%.1f tokens/s prefill)%n",
                        res.promptTokens(), res.ttftNanos() / 1e6, res.prefillTokensPerSecond());
                System.out.printf("decode %d tokens: %.2f tokens/s%n", res.tokens().length, tps);
                if (cuda != null) System.out.println(RunCommand.pathsTable(m)); // warm-up and prompt included
                long vramHits = 0, vramMisses = 0;
                double h2dPerToken = 0, pinnedBw = 0, h2dBound = 0, bw = 0, bound = 0;
                long[] vram = null;
                if (cuda != null) {
                    StoreStats st = m.model().store().stats();
                    vramHits = st.fastHits() - vramAtFirst[0][0];
                    vramMisses = st.fastMisses() - vramAtFirst[0][1];
                    h2dPerToken = (double) (st.promotedBytes() - copiedAtFirst[0]) / decoded;
                    vram = cuda.vramUsage();
                    pinnedBw = cuda.measurePinnedHostToDevice(256L << 20, 7);
                    h2dBound = h2dPerToken > 0 ? pinnedBw / h2dPerToken : Double.POSITIVE_INFINITY;
                    System.out.printf("VRAM: expert cache %.2f GiB of %s budget | backend holds %.2f GiB, peak %.2f GiB%n",
                            cuda.expertCacheBytes() / GIB, storeOpts.fastBudget != null ? storeOpts.fastBudget + " (whole backend)" : "its default",
                            vram[0] / GIB, vram[1] / GIB);
                    System.out.printf("VRAM expert cache during decode: %d hits, %d misses (%.1f %% hit rate), %.1f MB copied host-to-device per token%n",
                            vramHits, vramMisses, 100.0 * vramHits / Math.max(1, vramHits + vramMisses), h2dPerToken / 1e6);
                    System.out.printf("missed-expert bytes per token %.1f MB | measured pinned H2D %.1f GB/s | bound %.2f tokens/s | ratio %.2f%n",
                            h2dPerToken / 1e6, pinnedBw / 1e9, h2dBound, tps / h2dBound);
                } else {
                    bw = StreamRead.bytesPerSecond(1L << 30, 5);
                    bound = bw / active;
                    System.out.printf("active bytes per token %.1f MB | measured read bandwidth %.1f GB/s | bound %.2f tokens/s | ratio %.2f%n",
                            active / 1e6, bw / 1e9, bound, tps / bound);
                }
                StoreStats decodeStats = tiered != null ? tiered.stats().minus(atFirst[0]) : null;
                double ssdBw = 0, ssdBytesPerToken = 0, ssdBound = 0;
                if (decodeStats != null) {
                    ssdBytesPerToken = (double) decodeStats.ssdBytesRead() / decoded;
                    ssdBw = ddDirectBytesPerSecond(tiered.packedStore().directory());
                    ssdBound = ssdBytesPerToken > 0 && ssdBw > 0 ? ssdBw / ssdBytesPerToken : Double.POSITIVE_INFINITY;
                    System.out.println(decodeStats.toTable());
                    System.out.printf("SSD: %.1f MB read per decoded token | dd iflag=direct %.2f GB/s | SSD bound %.2f tokens/s | ratio %.2f%n",
                            ssdBytesPerToken / 1e6, ssdBw / 1e9, ssdBound, tps / ssdBound);
                }
                double transferBound = 0, ssdWaitMs = 0;
                if (cuda != null) {
                    // Both transfers of missed experts, one after the other: SSD → host, host → VRAM.
                    double sec = h2dPerToken / pinnedBw + (ssdBw > 0 ? ssdBytesPerToken / ssdBw : 0);
                    transferBound = sec > 0 ? 1 / sec : Double.POSITIVE_INFINITY;
                    ssdWaitMs = decodeStats != null ? decodeStats.waitNs(io.strata.tiering.Tier.SSD) / 1e6 / decoded : 0;
                    System.out.printf("per token: %.1f ms, of which %.1f ms is the host-to-device copy at measured bandwidth and %.1f ms"
                                    + " waiting for SSD reads | SSD + H2D transfer bound %.2f tokens/s | ratio %.2f%n",
                            1e3 / tps, 1e3 * h2dPerToken / pinnedBw, ssdWaitMs, transferBound, tps / transferBound);
                }
                if (json != null) {
                    ObjectMapper om = new ObjectMapper();
                    ObjectNode o = om.createObjectNode();
                    o.put("model", dir.toString());
                    o.put("preset", preset);
                    o.put("backend", m.model().backend().name());
                    o.put("machine", machine());
                    o.put("warmup_tokens", Math.max(1, warmup));
                    o.put("warmup_runs", warmupRuns);
                    o.put("prompt_tokens", res.promptTokens());
                    o.put("ttft_ms", res.ttftNanos() / 1e6);
                    o.put("decode_tokens", res.tokens().length);
                    o.put("decode_tokens_per_s", tps);
                    // every forward step of this model: warm-up and prompt included
                    m.model().paths().perStepByName().forEach(o.putObject("expert_paths_per_step")::put);
                    o.put("offload_compute", storeOpts.offloadCompute);
                    o.put("codec", tiered != null ? tiered.packedStore().codec() : "checkpoint");
                    o.put("expert_bytes", expertBytes);
                    o.put("active_bytes_per_token", active);
                    if (cuda != null) {
                        o.put("fast_budget", storeOpts.fastBudget);
                        o.put("vram_expert_cache_bytes", cuda.expertCacheBytes());
                        o.put("vram_backend_bytes", vram[0]);
                        o.put("vram_backend_peak_bytes", vram[1]);
                        o.put("vram_expert_hits_decode", vramHits);
                        o.put("vram_expert_misses_decode", vramMisses);
                        o.put("h2d_expert_bytes_per_decoded_token", h2dPerToken);
                        o.put("pinned_h2d_bytes_per_s", pinnedBw);
                        o.put("h2d_bound_tokens_per_s", h2dBound);
                        o.put("ratio_to_h2d_bound", tps / h2dBound);
                        o.put("ssd_wait_ms_per_decoded_token", ssdWaitMs);
                        o.put("transfer_bound_tokens_per_s", transferBound);
                        o.put("ratio_to_transfer_bound", tps / transferBound);
                    } else {
                        o.put("read_bandwidth_bytes_per_s", bw);
                        o.put("bound_tokens_per_s", bound);
                        o.put("ratio_to_bound", tps / bound);
                    }
                    if (decodeStats != null) {
                        o.set("store_decode", decodeStats.toJson());
                        o.put("host_budget", storeOpts.hostBudget);
                        o.put("fast_budget", storeOpts.fastBudget);
                        o.put("policy", storeOpts.policy);
                        o.put("ssd_bytes_per_decoded_token", ssdBytesPerToken);
                        o.put("ssd_dd_direct_bytes_per_s", ssdBw);
                        o.put("ssd_bound_tokens_per_s", ssdBound);
                        o.put("ratio_to_ssd_bound", tps / ssdBound);
                    }
                    om.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), o);
                }
            }
            return 0;
        }
    }

    private static final double GIB = 1024.0 * 1024 * 1024;


    /**
     * Read bandwidth of the store's largest blob file with {@code dd iflag=direct} (page cache
     * bypassed), up to 2 GiB; 0 when dd is unavailable or refuses O_DIRECT.
     */
    static double ddDirectBytesPerSecond(Path storeDir) {
        try (var files = Files.list(storeDir)) {
            Path f = files.filter(p -> p.getFileName().toString().startsWith("experts-"))
                    .max(java.util.Comparator.comparingLong(p -> p.toFile().length())).orElse(null);
            if (f == null) return 0;
            long bs = 4 << 20, count = Math.max(1, Math.min(512, f.toFile().length() / bs));
            Process p = new ProcessBuilder("dd", "if=" + f, "of=/dev/null", "bs=" + bs, "count=" + count, "iflag=direct")
                    .redirectErrorStream(true).start();
            long t0 = System.nanoTime();
            String out = new String(p.getInputStream().readAllBytes());
            int rc = p.waitFor();
            double dt = (System.nanoTime() - t0) / 1e9;
            if (rc != 0) {
                System.out.println("dd iflag=direct failed: " + out.strip());
                return 0;
            }
            return bs * count / dt;
        } catch (Exception e) {
            System.out.println("dd iflag=direct unavailable: " + e);
            return 0;
        }
    }

    /** The machine every result names. */
    static String machine() {
        return ActiveBytes.machine();
    }
}
