// Opens a model folder (Hugging Face checkpoint or packed store) under the engine options.
package io.strata.engine.api;

import io.strata.engine.backend.Backend;
import io.strata.engine.backend.Backends;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.MoeModel;
import io.strata.engine.moe.RoutingObserver;
import io.strata.engine.store.PackedWeightSource;
import io.strata.engine.tokenizer.Tokenizer;
import io.strata.tiering.TieredExpertStore;
import io.strata.tiering.store.PackedStore;
import io.strata.tiering.store.StoreWriter;
import io.strata.tiering.trace.TraceRecorder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Assembles a {@link StrataModel} from a folder: picks the expert store (tiered packed store, codec store, FloE
 * store or checkpoint), the backend, the prefetcher and the trace recorder from {@link EngineOptions}. Most users
 * call {@link StrataModel#load(Path, EngineOptions)}; the rest is for tools that inspect the store.
 */
public final class ModelLoader {
    private static final System.Logger LOG = System.getLogger(ModelLoader.class.getName());
    private ModelLoader() {}

    /**
     * Whether a folder is a packed store.
     *
     * @param dir a folder
     * @return true when it holds a store manifest
     */
    public static boolean isPackedStore(Path dir) {
        return Files.isRegularFile(dir.resolve(StoreWriter.MANIFEST));
    }

    /**
     * Opens model (a packed store or a Hugging Face checkpoint folder) under options: see
     * {@link StrataModel#load(Path, EngineOptions)}.
     *
     * @param model   a packed store or a checkpoint folder
     * @param options how to serve it
     * @return the loaded model
     */
    public static StrataModel load(Path model, EngineOptions options) {
        if (!Files.isDirectory(model)) {
            throw new IllegalArgumentException(model + ": not found (expected a Hugging Face checkpoint folder or a packed store)");
        }
        applyThreads(options.threads());
        StrataModel m;
        if (isPackedStore(model)) {
            m = loadStore(model, options, false);
        } else {
            refuseTierOptions(model, options);
            m = StrataModel.loadCheckpoint(model, options);
        }
        try {
            if (options.trace() != null) m.closeWith(attachTrace(m, options.trace()));
            if (!options.prefetch().equals("off")) attachPrefetcher(m, options);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        return m;
    }

    /**
     * Budgets, policies and prefetch act on a packed store's tiers; a checkpoint folder serves its experts straight
     * from the mapped safetensors, so they would be ignored: refuse them and say how to pack.
     */
    static void refuseTierOptions(Path model, EngineOptions o) {
        if (!o.needsTieredStore()) return;
        java.util.List<String> set = new java.util.ArrayList<>();
        if (o.hostBudget() > 0) set.add("--host-budget");
        if (o.fastBudget() > 0) set.add("--fast-budget");
        if (!o.policy().equals("lru")) set.add("--policy " + o.policy());
        if (!o.prefetch().equals("off")) set.add("--prefetch " + o.prefetch());
        Path store = model.toAbsolutePath().normalize();
        String out = (store.getFileName() == null ? "model" : store.getFileName().toString()) + "-store";
        Path outPath = store.getParent() == null ? Path.of(out) : store.getParent().resolve(out);
        throw new IllegalArgumentException(model + " is a checkpoint folder, not a packed store, and " + String.join(", ", set)
                + " need" + (set.size() == 1 ? "s" : "") + " a packed store's tiers. Pack it first, then serve the store: strata pack --model " + model
                + " --out " + outPath + " && strata run --model " + outPath + " ...");
    }

    /** The CPU kernel pool is process-wide: the first request fixes it; a different later one is refused. */
    static void applyThreads(int threads) {
        if (threads <= 0) return;
        if (System.getProperty("strata.threads") == null) System.setProperty("strata.threads", Integer.toString(threads));
        int now = io.strata.compression.kernel.Parallel.threads();
        if (now != threads) {
            throw new IllegalArgumentException("threads: the CPU kernel pool of this JVM already runs " + now
                    + " threads (fixed by the first model loaded, or -Dstrata.threads); " + threads + " requested");
        }
    }

    /**
     * A packed store: dense weights mapped, experts through the tiered store under the budgets
     * (host budget default: every expert fits; fast budget default: the host budget). Stores of a
     * group-quantizing codec (int8/int4/int3/int2) tier their encoded blobs and run them on the
     * backend's quantized path; FloE stores go to {@link #loadFloeStore}.
     * Under CUDA, {@code --fast-budget} is the VRAM budget of the whole backend (dense weights, KV
     * cache, scratch and the expert cache) and the host tier is pinned so copies overlap compute.
     * The store keeps the per-layer demand stall itself (its statistics).
     *
     * @param dir     the packed store
     * @param options how to serve it
     * @param timed   kept for callers that asked for a timed store: the store's own statistics time every acquire
     * @return the loaded model
     */
    public static StrataModel loadStore(Path dir, EngineOptions options, boolean timed) {
        EngineOptions o = options, s = options;
        PackedStore ps = PackedStore.open(dir);
        TokenizerLoad tokenizer = TokenizerLoad.start(dir);
        try {
            ModelConfig c = ModelConfig.parse(ps.manifest().model(), dir);
            io.strata.compression.codec.CodecParams[][] codecParams = null;
            if (io.strata.engine.store.CodecStoreFiles.present(dir)) {
                var cf = io.strata.engine.store.CodecStoreFiles.read(ps);
                if (cf.codec().startsWith(io.strata.compression.codec.FloeCodec.NAME)) return loadFloeStore(dir, ps, cf, c, o, tokenizer);
                codecParams = cf.experts();
                checkBlockLayouts(dir, cf);
                io.strata.engine.store.CodecStoreFiles.checkBlobs(ps, codecParams);
            }
            long all = ps.maxExpertBytes() * c.numMoeLayers() * c.numExperts();
            String policy = s.policy(); // EngineOptions checked the name and that learned has its weights
            TieredExpertStore.Builder b = TieredExpertStore.builder(ps).topK(c.topK())
                    .hostBudget(s.hostBudget() > 0 ? s.hostBudget() : all)
                    .policy(policy)
                    .loaderThreads(s.loaderThreads());
            if (policy.equals("learned")) b.learnedModel(io.strata.tiering.policy.LearnedPolicy.Model.load(s.policyModel()));
            if (codecParams != null) b.codec(codecParams);
            Backend be = Backends.create(o.backend());
            if (be instanceof io.strata.engine.backend.cpu.CpuBackend) ps.readDenseIntoMemory(); // see its comment
            MoeModel m;
            try {
                if (s.fastBudget() > 0) {
                    long fast = s.fastBudget();
                    // On a GPU the fast tier is VRAM and --fast-budget the whole backend's VRAM budget.
                    if (be instanceof io.strata.engine.backend.cuda.CudaBackend cb) cb.vramBudget(fast);
                    else b.fastBudget(fast);
                }
                if (be instanceof io.strata.engine.backend.cuda.CudaBackend cb && !Boolean.getBoolean("strata.cuda.pageableHost")) {
                    b.allocator(new io.strata.kernels.cuda.PinnedSlabAllocator(cb.context()));
                }
                // Dense weights first: on a GPU they fix how much VRAM the expert slots get.
                var weights = new io.strata.engine.model.ModelWeights(c, new PackedWeightSource(ps), be);
                var vram = vramTier(be, storeSlotParts(ps, codecParams), c, o.context());
                if (vram != null) {
                    b.fastTier(vram);
                    b.prefetchIntoFast(!s.prefetch().equals("off")); // on a GPU a prediction's copy goes to VRAM early
                }
                TieredExpertStore store = b.build();
                try {
                    m = new MoeModel(c, weights, store, be);
                    if (be instanceof io.strata.engine.backend.cuda.CudaBackend cb) {
                        var layout = store.layouts().getFirst();
                        m.planner(stepPlanner(o.offloadCompute(), cb, c, layout, (io.strata.kernels.cuda.VramFastTier) vram),
                                ps.maxExpertBytes(), layout);
                    }
                } catch (RuntimeException e) {
                    store.close();
                    throw e;
                }
            } catch (RuntimeException e) {
                be.close();
                throw e;
            }
            Tokenizer tok = tokenizer.join();
            return StrataModel.of(dir, ps, m, tok, o);
        } catch (IOException e) {
            ps.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            ps.close();
            throw e;
        }
    }

    /**
     * The step planner of a GPU run: {@code gpu} copies every miss, {@code cpu} computes every miss on the CPU,
     * {@code auto} plans from the calibration `strata calibrate` saved ({@link io.strata.engine.hybrid.Calibration#defaultPath}),
     * or, without one for this machine, from a brief calibration made now (and says so).
     */
    static io.strata.engine.hybrid.StepPlanner stepPlanner(EngineOptions.OffloadCompute mode,
                                                           io.strata.engine.backend.cuda.CudaBackend cb, ModelConfig c,
                                                           io.strata.tiering.ExpertLayout layout,
                                                           io.strata.kernels.cuda.VramFastTier vram) {
        var m = switch (mode) {
            case AUTO -> io.strata.engine.hybrid.StepPlanner.Mode.AUTO;
            case GPU -> io.strata.engine.hybrid.StepPlanner.Mode.GPU;
            case CPU -> io.strata.engine.hybrid.StepPlanner.Mode.CPU;
        };
        if (m != io.strata.engine.hybrid.StepPlanner.Mode.AUTO) return new io.strata.engine.hybrid.StepPlanner(null, m);
        Path saved = io.strata.engine.hybrid.Calibration.defaultPath();
        io.strata.engine.hybrid.Calibration cal = null;
        if (Files.isRegularFile(saved)) {
            cal = io.strata.engine.hybrid.Calibration.load(saved);
            if (!cal.machine().equals(io.strata.engine.hybrid.Calibration.thisMachine()) || !cal.hasGpu()
                    || Double.isNaN(cal.cpuExpertRate(layout.name()))) cal = null;
        }
        if (cal == null && layout instanceof io.strata.tiering.ExpertLayout.Floe) {
            // FloE misses always move rows on the device: nothing to plan, nothing to measure
            return new io.strata.engine.hybrid.StepPlanner(null, io.strata.engine.hybrid.StepPlanner.Mode.GPU);
        }
        if (cal == null) {
            long t0 = System.nanoTime();
            String codec = layout instanceof io.strata.tiering.ExpertLayout.Dense d ? d.name() : layout.name();
            try {
                cal = new io.strata.engine.hybrid.Calibrator(c.hidden(), c.expertIntermediate(), true, msg -> {})
                        .forRun(codec, vram.measureHostToDevice(5), cb.deviceName());
            } catch (RuntimeException ex) { // e.g. a kept GGUF type Strata cannot quantize a sample expert into
                LOG.log(System.Logger.Level.WARNING, "offload-compute auto: cannot measure the " + layout.name() + " CPU kernel ("
                        + ex.getMessage() + "); every miss is copied to VRAM (`strata calibrate` saves rates the plan can use)");
                return new io.strata.engine.hybrid.StepPlanner(null, io.strata.engine.hybrid.StepPlanner.Mode.GPU);
            }
            LOG.log(System.Logger.Level.INFO, String.format(java.util.Locale.ROOT, "offload-compute auto: no calibration of this"
                    + " machine with a GPU at %s; measured the %s CPU kernel (%.2f GB/s) and the copy into VRAM (%.2f GB/s) in %.1f s"
                    + " (`strata calibrate --backend cuda` measures everything)", saved, layout.name(), cal.cpuExpertRate(layout.name()) / 1e9,
                    cal.h2d() / 1e9, (System.nanoTime() - t0) / 1e9));
        }
        return new io.strata.engine.hybrid.StepPlanner(cal, m);
    }

    /**
     * The tiered store behind an expert store.
     *
     * @param s an expert store, possibly wrapped
     * @return the tiered store under the wrappers, or null when it has none
     */
    public static TieredExpertStore tiered(io.strata.tiering.ExpertStore s) {
        return s instanceof TieredExpertStore t ? t : null;
    }

    /**
     * The VRAM fast tier for the expert store when {@code be} is the CUDA backend (null otherwise): slots for experts
     * whose parts have the given sizes, in what the backend's VRAM budget leaves after the dense weights already
     * uploaded and the KV cache at {@code context} positions.
     *
     * @param be        the backend the model computes on
     * @param partBytes bytes of each part of the largest expert (gate, up, down; or one codec blob)
     * @param c         the model's configuration
     * @param context   KV-cache positions to reserve VRAM for
     * @return the VRAM tier, or null when {@code be} is not the CUDA backend
     */
    public static io.strata.tiering.fast.FastTier vramTier(Backend be, long[] partBytes, ModelConfig c, int context) {
        if (!(be instanceof io.strata.engine.backend.cuda.CudaBackend cb)) return null;
        long kvBytes = c.kvBytesPerPosition() * context;
        return cb.newFastTier(io.strata.kernels.cuda.VramFastTier.slotBytesFor(partBytes), kvBytes);
    }

    /**
     * Part sizes of a checkpoint's routed experts.
     *
     * @param c   the model's configuration
     * @param src the checkpoint's weights
     * @return bytes of gate, up and down of the first routed expert (all routed experts have one shape)
     */
    public static long[] denseSlotParts(ModelConfig c, io.strata.engine.checkpoint.WeightSource src) {
        for (int l = 0; l < c.numLayers(); l++) {
            if (!c.moeLayer()[l]) continue;
            var w = c.expert(src, l, 0);
            return new long[] {w.gate().byteSize(), w.up().byteSize(), w.down().byteSize()};
        }
        return new long[] {0};
    }

    /** Part sizes of the largest expert of a packed store: its blob, or its gate, up and down matrices. */
    /**
     * Every expert of a codec store (other than FloE) is a blob a block kernel computes whole: group-quantized
     * (int8/4/3/2), ggml blocks (gguf-*, whose types may differ per layer, the store then being named "gguf") or
     * block-scaled FP8. Fails naming the layer, expert and codec otherwise.
     */
    static void checkBlockLayouts(Path dir, io.strata.engine.store.CodecStoreFiles.CodecFile cf) {
        var params = cf.experts();
        for (int l = 0; l < params.length; l++) {
            if (params[l] == null) continue;
            for (int e = 0; e < params[l].length; e++) {
                var p = params[l][e];
                String codec = p == null ? "none" : p.codec();
                io.strata.tiering.ExpertLayout layout;
                try {
                    layout = p == null ? null : io.strata.tiering.ExpertLayout.of(p);
                } catch (IllegalArgumentException ex) {
                    layout = null;
                }
                if (!(layout instanceof io.strata.tiering.ExpertLayout.GroupQuant || layout instanceof io.strata.tiering.ExpertLayout.Ggml
                        || layout instanceof io.strata.tiering.ExpertLayout.Fp8 || layout instanceof io.strata.tiering.ExpertLayout.Mxfp4)) {
                    throw new IllegalArgumentException(dir + ": layer " + l + " expert " + e + " packed with codec '" + codec
                            + "' cannot be served (expected int8/int4/int3/int2, mxfp4, fp8, gguf-<type> or floe)");
                }
            }
        }
    }

    /**
     * Bytes of each part of the store's largest expert (gate, up, down; or one codec blob): what a VRAM slot holds.
     *
     * @param ps    the packed store
     * @param codec the codec layouts of its experts ([layer][expert]), or null for a dense (bf16/f32) store
     * @return the part sizes of the expert whose slot is largest
     */
    public static long[] storeSlotParts(PackedStore ps, io.strata.compression.codec.CodecParams[][] codec) {
        long[] best = {0};
        long bestSlot = 0;
        for (int l = 0; l < ps.numLayers(); l++) {
            for (int e = 0; e < ps.numExperts(); e++) {
                var en = ps.expert(l, e);
                if (en == null || (codec != null && codec[l] == null)) continue;
                long[] p = codec != null ? new long[] {codec[l][e].totalBytes()}
                        : new long[] {en.matrix("gate").length(), en.matrix("up").length(), en.matrix("down").length()};
                long slot = io.strata.kernels.cuda.VramFastTier.slotBytesFor(p);
                if (slot > bestSlot) {
                    bestSlot = slot;
                    best = p;
                }
            }
        }
        return best;
    }

    /**
     * A FloE store: blobs mapped and CRC-checked at open, experts served by the FloE store
     * (resident INT2 up, gate/down rows copied on demand from the mapped blobs).
     */
    static StrataModel loadFloeStore(Path dir, PackedStore ps, io.strata.engine.store.CodecStoreFiles.CodecFile cf, ModelConfig c,
                                     EngineOptions o, TokenizerLoad tokenizer) throws IOException {
        java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared();
        var enc = io.strata.engine.store.CodecStoreFiles.open(ps, cf, c, arena);
        var store = new io.strata.engine.floe.FloeExpertStore(enc, null, false);
        Backend be = Backends.create(o.backend());
        MoeModel m;
        try {
            var weights = new io.strata.engine.model.ModelWeights(c, new PackedWeightSource(ps), be);
            // On a GPU the FloE experts' fast copies (resident up, the rows loaded so far) live in VRAM, chosen by LRU.
            long blob = 0;
            for (int l = 0; l < c.numLayers(); l++) {
                if (!c.moeLayer()[l]) continue;
                for (int e = 0; e < c.numExperts(); e++) blob = Math.max(blob, enc.get(l, e).params().totalBytes());
            }
            var vram = vramTier(be, new long[] {blob}, c, o.context());
            if (vram != null) store.fastTier(vram, new io.strata.tiering.policy.LruPolicy());
            m = new MoeModel(c, weights, store, be);
        } catch (RuntimeException e) {
            store.close();
            be.close();
            throw e;
        }
        Tokenizer tok = tokenizer.join();
        AutoCloseable res = () -> {
            ps.close();
            arena.close();
        };
        return StrataModel.of(dir, res, m, tok, o);
    }

    private static final java.util.Map<StrataModel, io.strata.engine.predict.Prefetcher> PREFETCHERS =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /** Issues store prefetches for the predicted experts of the next --prefetch-depth layers. */
    static void attachPrefetcher(StrataModel m, EngineOptions s) {
        var c = m.config();
        io.strata.engine.predict.ExpertPredictor p = switch (s.prefetch()) {
            case "lookahead" -> io.strata.engine.predict.LookaheadPredictor.of(m.model());
            case "learned" -> {
                yield io.strata.engine.predict.LearnedPredictor.load(s.prefetchModel());
            }
            default -> throw new IllegalArgumentException("unknown prefetch '" + s.prefetch() + "' (off, lookahead, learned)");
        };
        if (p.numLayers() != c.numLayers() || p.numExperts() != c.numExperts()) {
            throw new IllegalArgumentException("predictor is for " + p.numLayers() + " layers x " + p.numExperts()
                    + " experts, the model has " + c.numLayers() + " x " + c.numExperts());
        }
        long expertBytes = c.expertBytes(2);
        var pf = new io.strata.engine.predict.Prefetcher(m.model().store(), p, m.model().backend(), c.hidden(),
                s.prefetchDepth(), c.topK(), expertBytes, null);
        m.model().addObserver(pf);
        PREFETCHERS.put(m, pf);
    }

    /**
     * The prefetcher's counters.
     *
     * @param m a loaded model
     * @return per layer: hints, precision, recall, unused bytes, demand stall; null without prefetch
     */
    public static io.strata.engine.predict.Prefetcher.Report prefetchReport(StrataModel m) {
        var pf = PREFETCHERS.get(m);
        return pf == null ? null : pf.report();
    }

    /**
     * m's tiered store (under the timing wrapper of --prefetch, and for quantized stores under the
     * codec wrapper).
     *
     * @param m a loaded model
     * @return the tiered store, or null when its experts come from elsewhere
     */
    public static TieredExpertStore tieredStore(StrataModel m) {
        return tiered(m.model().store());
    }

    /**
     * Records every routing decision of m to file (closed at JVM exit, or by the caller).
     *
     * @param m    a loaded model
     * @param file the trace to write (JSON lines)
     * @return the recorder
     */
    public static TraceRecorder attachTrace(StrataModel m, Path file) {
        var c = m.config();
        TraceRecorder rec = TraceRecorder.open(file, m.dir().getFileName().toString(), c.numLayers(), c.numExperts(), c.topK(), null);
        m.model().addObserver(new RoutingObserver() {
            @Override
            public void onRouted(int layer, int pos0, int[][] experts, float[][] weights) {
                rec.recordPass(pos0, layer, experts, weights);
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(rec::close));
        return rec;
    }

    /**
     * Human-readable statistics of the model's expert store.
     *
     * @param m a loaded model
     * @return a table, or null when the store keeps none
     */
    public static String storeStats(StrataModel m) {
        if (m.model().store() instanceof io.strata.engine.floe.FloeExpertStore f) {
            var t = f.totals();
            return String.format("FloE: %d expert activations, sparsity %.3f (%.1f active channels each), %.2f MiB of gate/down rows"
                    + " moved on demand in %d copies, %.2f MiB prefetched", t.activations(), t.sparsity(), t.meanActiveChannels(),
                    t.bytesMoved() / 1048576.0, t.reads(), t.prefetchBytes() / 1048576.0);
        }
        var report = prefetchReport(m);
        String pf = report != null ? "\n" + report.table() : "";
        TieredExpertStore t = tieredStore(m);
        if (t == null) {
            var st = m.model().store().stats();  // a checkpoint folder: host (the mapping) and, on a GPU, VRAM
            return st.acquires() > 0 && m.model().store() instanceof io.strata.engine.store.CheckpointExpertStore
                    ? "fast tier: " + fastTierName(m) + System.lineSeparator() + st.toTable() + pf : (pf.isEmpty() ? null : pf);
        }
        return "fast tier: " + t.fastTier().describe() + System.lineSeparator() + t.stats().toTable() + pf;
    }

    private static String fastTierName(StrataModel m) {
        return m.model().backend() instanceof io.strata.engine.backend.cuda.CudaBackend cb && cb.fastTier() != null
                ? cb.fastTier().describe() : "none (experts served in place from the mapped checkpoint)";
    }

    /**
     * Statistics of the model's expert store as JSON.
     *
     * @param m a loaded model
     * @return a JSON object, or null when the store keeps none
     */
    public static String storeStatsJson(StrataModel m) {
        if (m.model().store() instanceof io.strata.engine.floe.FloeExpertStore f) {
            try {
                return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(f.totals());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        TieredExpertStore t = tieredStore(m);
        var report = prefetchReport(m);
        if (t == null && report == null) return null;
        var om = new com.fasterxml.jackson.databind.ObjectMapper();
        var o = t != null ? t.stats().toJson() : om.createObjectNode();
        if (t != null) o.put("fast_tier", t.fastTier().describe());
        if (report != null) o.set("prefetch", om.valueToTree(report.toJson()));
        return o.toString();
    }
}
