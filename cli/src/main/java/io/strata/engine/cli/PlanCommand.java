// `strata plan`: predicted decode tokens/s of a store under budgets, per offload mode, from a calibration and a trace.
package io.strata.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.engine.api.ModelLoader;
import io.strata.engine.hybrid.Calibration;
import io.strata.engine.hybrid.DecodeForecast;
import io.strata.engine.hybrid.StepPlanner;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.store.CodecStoreFiles;
import io.strata.tiering.ExpertLayout;
import io.strata.tiering.host.ByteSize;
import io.strata.tiering.store.PackedStore;
import io.strata.tiering.trace.RoutingTrace;
import io.strata.tiering.trace.TraceReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Predict decode tokens/s of a packed store under VRAM and host budgets for each way of serving"
                + " missed experts (CPU backend; GPU copy-only, CPU-only, hybrid, hybrid + prefetch bound), from this"
                + " machine's calibration and a routing trace (`strata run --trace`), and recommend the fastest.")
public final class PlanCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "packed store")
    Path model;

    @Option(names = "--trace", required = true, description = "routing trace of this model (JSON lines, `strata run --trace F`)")
    Path trace;

    @Option(names = "--host", split = ",", description = "host budgets to compare: sizes (24GiB) or shares of all experts"
            + " (25%%); default: every expert")
    List<String> hosts = List.of("100%");

    @Option(names = "--codec", split = ",", description = "codecs to compare beside the store's own (e.g. int4,int8): priced"
            + " from the calibration's kernel rates and the codec's blob size; the best needs `strata pack --codec`")
    List<String> codecs = List.of();

    @Option(names = "--prefetch-depth", split = ",", defaultValue = "1,2",
            description = "prefetch depths of the GPU hybrid bound (default: ${DEFAULT-VALUE})")
    List<Integer> depths = List.of(1, 2);

    @Option(names = "--vram", description = "VRAM budget for a GPU plan (e.g. 11GiB; dense weights, KV and scratch come out of it)")
    String vram;

    @Option(names = "--context", defaultValue = "2048", description = "KV-cache positions reserved in VRAM")
    int context = 2048;

    @Option(names = "--policy", defaultValue = "lru", split = ",",
            description = "eviction policies to compare (lru,lfu,...; default: ${DEFAULT-VALUE}, as strata run)")
    List<String> policies = List.of("lru");

    @Option(names = "--calibration", description = "calibration file (default: this machine's saved one)")
    Path calibration;

    @Option(names = "--json", description = "write the predictions as JSON")
    Path json;

    @Option(names = "--probe-tokens", defaultValue = "-1",
            description = "decode this many tokens with every expert in memory (CPU; and CUDA for a GPU plan), round after round"
                    + " until the JIT is steady: the base time per token the tiers add to; 0 prices everything from the calibration"
                    + " (default: as many as the trace's last generation decodes, the one priced, after a prompt as long as its prompt)")
    int probeTokens = -1;

    @Override
    public Integer call() throws Exception {
        if (!ModelLoader.isPackedStore(model)) throw new IllegalArgumentException(model + ": not a packed store (make one with `strata pack`)");
        Path cf = calibration != null ? calibration : Calibration.defaultPath();
        if (!Files.isRegularFile(cf)) {
            throw new IllegalArgumentException("no calibration at " + cf + ": run `strata calibrate --model " + model + "` first");
        }
        Calibration cal = Calibration.load(cf);
        RoutingTrace t = TraceReader.readJsonLines(trace);
        ModelConfig c;
        long expertBytes, storeSlot;
        ExpertLayout layout;
        try (PackedStore ps = PackedStore.open(model)) {
            c = ModelConfig.parse(ps.manifest().model(), model);
            expertBytes = ps.maxExpertBytes();
            var codecParams = CodecStoreFiles.present(model) ? CodecStoreFiles.read(ps).experts() : null;
            layout = codecParams != null ? ExpertLayout.of(codecParams[c.firstMoeLayer()][0])
                    : new ExpertLayout.Dense(io.strata.compression.DType.fromSafetensors(ps.expert(c.firstMoeLayer(), 0).matrix("gate").dtype()));
            storeSlot = io.strata.kernels.cuda.VramFastTier.slotBytesFor(ModelLoader.storeSlotParts(ps, codecParams));
        }
        if (t.numLayers() != c.numLayers() || t.numExperts() != c.numExperts()) {
            throw new IllegalArgumentException(trace + ": a trace of " + t.numLayers() + " layers x " + t.numExperts()
                    + " experts, the store has " + c.numLayers() + " x " + c.numExperts());
        }
        // Dense weights stream at the kernel rate of their dtype: f32 stores keep f32, the others bf16.
        String denseLayout = layout instanceof ExpertLayout.Dense d ? d.name() : "bf16";
        int bpw = denseLayout.equals("f32") ? 4 : 2;
        long h = c.hidden();
        long perLayer = (long) bpw * h * (2L * c.qDim() + 2L * c.kvDim() + c.numExperts());
        long head = (long) bpw * h * c.vocabSize();
        long all = expertBytes * c.numMoeLayers() * c.numExperts();
        double baseCpu = Double.NaN, baseGpu = Double.NaN;
        DecodeForecast.Shape shape = DecodeForecast.shape(t);
        int promptLen = shape != null ? shape.promptTokens() : 8;
        int decodeLen = probeTokens > 0 ? probeTokens : shape != null ? shape.decodeTokens() : 16;
        if (probeTokens != 0) {
            System.out.printf(Locale.ROOT, "probe: %d decode tokens after a %d-token prompt (%s)%n", decodeLen, promptLen,
                    shape != null ? "the trace's last generation, the one priced" : "the trace does not name its passes");
            baseCpu = probe("cpu", c, promptLen, decodeLen);
            System.out.printf(Locale.ROOT, "probe: %.2f ms per token on the CPU with every expert routed in memory%n", baseCpu * 1e3);
            if (vram != null) {
                baseGpu = probe("cuda", c, promptLen, decodeLen);
                System.out.printf(Locale.ROOT, "probe: %.2f ms per token on CUDA with every expert routed in VRAM%n", baseGpu * 1e3);
            }
        }
        List<DecodeForecast.Result> rows = new ArrayList<>();
        List<String[]> rowKeys = new ArrayList<>(); // codec, host budget, policy of each row
        ObjectMapper om = new ObjectMapper();
        ObjectNode out = om.createObjectNode();
        out.put("model", model.toString());
        out.put("trace", trace.toString());
        out.put("tokens", t.steps().isEmpty() ? 0 : t.steps().getLast().token() - t.steps().getFirst().token() + 1);
        out.put("expert_bytes", expertBytes);
        out.put("layout", layout.name());
        out.put("calibration", cf.toString());
        if (probeTokens != 0) {
            out.put("probe_prompt_tokens", promptLen);
            out.put("probe_decode_tokens", decodeLen);
        }
        if (!Double.isNaN(baseCpu)) out.put("probe_cpu_ms_per_token", baseCpu * 1e3);
        if (!Double.isNaN(baseGpu)) out.put("probe_cuda_ms_per_token", baseGpu * 1e3);
        var arr = out.putArray("predictions");
        System.out.printf(Locale.ROOT, "%s: %d experts of %.2f MiB (%s); calibration %s%n", model, c.numMoeLayers() * c.numExperts(),
                expertBytes / 1048576.0, layout.name(), cf);
        System.out.printf("%-30s %-10s %-10s %-8s %10s %9s %9s %12s %12s%n", "configuration", "codec", "host", "policy", "tokens/s",
                "host hit", "VRAM hit", "SSD MiB/tok", "PCIe MiB/tok");
        double perToken = (double) t.steps().size() / Math.max(1, out.get("tokens").asInt()) * t.topK(); // expert uses per token
        List<String> codecList = new ArrayList<>();
        codecList.add(null); // the store's own
        codecList.addAll(codecs);
        for (String codec : codecList) {
            long eb = expertBytes;
            String lay = layout.name();
            double bCpu = baseCpu, bGpu = baseGpu;
            if (codec != null) {
                var params = io.strata.compression.codec.ExpertCodecs.byName(codec).layout(c.hidden(), c.expertIntermediate());
                eb = params.totalBytes();
                lay = codec.equals("bf16") ? "bf16" : ExpertLayout.of(params).name();
                // The probe ran the store's codec: swap its expert compute for this codec's, at the calibrated rates.
                double was = expertBytes / cal.cpuExpertRate(layout.name()), now = eb / cal.cpuExpertRate(lay);
                bCpu = baseCpu + perToken * (now - was);
                if (!Double.isNaN(baseGpu)) bGpu = baseGpu + perToken * (eb / cal.gpuExpertRate(lay) - expertBytes / cal.gpuExpertRate(layout.name()));
            }
            for (String hb : hosts) {
                long hostBytes = hb.endsWith("%") ? (long) (eb * c.numMoeLayers() * c.numExperts() * Double.parseDouble(hb.substring(0, hb.length() - 1)) / 100)
                        : ByteSize.parse(hb);
                int hostSlots = (int) Math.min(Integer.MAX_VALUE, hostBytes / eb);
                int fastSlots = 0;
                if (vram != null) {
                    // What ModelLoader leaves the VRAM tier: the budget less the dense weights (estimated from their
                    // shapes), the KV cache at --context and the backend's scratch reserve, in slots as the tier sizes them.
                    long kv = c.kvBytesPerPosition() * context;
                    long left = ByteSize.parse(vram) - (perLayer * c.numLayers() + head + (long) bpw * h * c.vocabSize()) - kv
                            - io.strata.engine.backend.cuda.CudaBackend.SCRATCH_RESERVE;
                    long slot = codec == null ? storeSlot : io.strata.kernels.cuda.VramFastTier.slotBytesFor(eb);
                    fastSlots = (int) Math.max(0, left / slot);
                }
                for (String policy : policies) {
                    var setup = new DecodeForecast.Setup(c.numLayers(), c.numExperts(), eb, lay, lay.startsWith("floe"), perLayer, head,
                            denseLayout, hostSlots, fastSlots, policy);
                    DecodeForecast f = new DecodeForecast(setup, cal, bCpu);
                    DecodeForecast g = new DecodeForecast(setup, cal, bGpu);
                    List<DecodeForecast.Result> rs = new ArrayList<>();
                    rs.add(f.cpu(t));
                    if (vram != null) {
                        if (!cal.hasGpu()) throw new IllegalArgumentException(cf + ": no GPU rates in this calibration (run `strata calibrate --backend cuda`)");
                        rs.add(g.gpu(t, StepPlanner.Mode.GPU, 0, "gpu copy-only"));
                        rs.add(g.gpu(t, StepPlanner.Mode.CPU, 0, "gpu, misses on the CPU"));
                        rs.add(g.gpu(t, StepPlanner.Mode.AUTO, 0, "gpu hybrid"));
                        for (int d : depths) rs.add(g.gpu(t, StepPlanner.Mode.AUTO, d, "gpu hybrid + prefetch d=" + d + " bound"));
                    }
                    String codecName = codec == null ? layout.name() + " (store)" : lay;
                    String hostName = hb + " (" + hostSlots + ")";
                    for (DecodeForecast.Result r : rs) {
                        System.out.printf(Locale.ROOT, "%-30s %-10s %-10s %-8s %10.2f %8.1f%% %8s %12.1f %12.1f%n", r.name(), codecName, hostName,
                                policy, r.tokensPerSecond(), 100 * r.hostHitRate(),
                                Double.isNaN(r.fastHitRate()) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * r.fastHitRate()),
                                r.ssdBytesPerToken() / 1048576.0, r.h2dBytesPerToken() / 1048576.0);
                        ObjectNode o = arr.addObject();
                        o.put("configuration", r.name());
                        o.put("codec", codecName);
                        o.put("host_budget", hb);
                        o.put("host_slots", hostSlots);
                        o.put("vram_slots", fastSlots);
                        o.put("policy", policy);
                        o.put("tokens_per_s", r.tokensPerSecond());
                        o.put("host_hit_rate", r.hostHitRate());
                        if (!Double.isNaN(r.fastHitRate())) o.put("vram_hit_rate", r.fastHitRate());
                        o.put("ssd_bytes_per_token", r.ssdBytesPerToken());
                        o.put("h2d_bytes_per_token", r.h2dBytesPerToken());
                        var p = o.putObject("paths_per_token");
                        r.pathsPerToken().forEach((k, v) -> p.put(k.name().toLowerCase(Locale.ROOT), v));
                        rows.add(r);
                        rowKeys.add(new String[] {codecName, hb, policy});
                    }
                }
            }
        }
        int bi = 0;
        for (int i = 1; i < rows.size(); i++) if (rows.get(i).tokensPerSecond() > rows.get(bi).tokensPerSecond()) bi = i;
        DecodeForecast.Result best = rows.get(bi);
        String[] k = rowKeys.get(bi);
        System.out.printf(Locale.ROOT, "recommended: %s, codec %s, host budget %s, --policy %s (%.2f tokens/s predicted)%n", best.name(),
                k[0], k[1], k[2], best.tokensPerSecond());
        ObjectNode rec = out.putObject("recommended");
        rec.put("configuration", best.name());
        rec.put("codec", k[0]);
        rec.put("host_budget", k[1]);
        rec.put("policy", k[2]);
        rec.put("tokens_per_s", best.tokensPerSecond());
        if (json != null) om.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), out);
        return 0;
    }

    /** Probe rounds at most while waiting for a steady decode speed, and the probe's time limit. */
    static final int PROBE_ROUNDS = 30;
    static final long PROBE_NANOS = 30_000_000_000L; // two probes (CPU, CUDA) fit a device script's 90 s plan step

    /**
     * Seconds per decode token with every routed expert in memory: a prompt of {@code promptLen} tokens, then
     * {@code decodeLen} decode steps, with the store's default host budget (every expert) and, on CUDA, no VRAM budget,
     * round after round until the JIT is steady; the median of the last three rounds.
     *
     * <p>Steady: three rounds in a row that do not beat the fastest so far by more than 10 % (after at least four
     * rounds; at most {@link #PROBE_ROUNDS} rounds or {@link #PROBE_NANOS}). A cold JVM decodes a small model several
     * times slower than a warm one (tiny-moe: 8.6 and 15.7 ms per token in two cold 16-token probes, about 2 ms warm),
     * and two slow rounds can agree with each other (9.72 and 9.77 ms, then 2 ms later), so agreement alone is no
     * sign of a steady state. The rounds decode as many tokens after as long a prompt as the trace's last generation
     * (a token's attention grows with its position), and the median of the steady rounds is taken, as a measured run
     * is one generation's mean at whatever moment it runs: the fastest round on this VM was up to twice as fast as
     * runs taken right after it (bench/results/hybrid/passes/paired).
     */
    private double probe(String backend, ModelConfig c, int promptLen, int decodeLen) {
        var o = io.strata.engine.api.EngineOptions.builder().backend(backend).context(64 + promptLen + decodeLen).build();
        try (io.strata.engine.api.StrataModel m = ModelLoader.load(model, o)) {
            int[] prompt = new int[promptLen];
            for (int i = 0; i < prompt.length; i++) prompt[i] = (1 + 37 * i) % c.vocabSize();
            double best = Double.POSITIVE_INFINITY;
            List<Double> rounds = new ArrayList<>();
            int since = 0; // rounds since the fastest so far improved by more than 10 %
            long t0 = System.nanoTime();
            for (int round = 0; round < PROBE_ROUNDS; round++) {
                var r = m.generateFixed(prompt, decodeLen + 1, io.strata.engine.generate.SamplingConfig.GREEDY);
                double t = 1 / r.decodeTokensPerSecond();
                rounds.add(t);
                System.err.printf(Locale.ROOT, "probe round %d: %.2f ms per token%n", round + 1, t * 1e3);
                since = t < 0.9 * best ? 0 : since + 1;
                best = Math.min(best, t);
                if ((round >= 3 && since >= 3) || System.nanoTime() - t0 > PROBE_NANOS) break;
            }
            List<Double> last = new ArrayList<>(rounds.subList(Math.max(0, rounds.size() - 3), rounds.size()));
            java.util.Collections.sort(last);
            return last.get(last.size() / 2);
        }
    }
}
