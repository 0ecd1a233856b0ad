// The codec comparison on a real model: size, weight and expert-output error, whole-model agreement and KL, bytes moved.
package io.strata.bench.floe;

import io.strata.engine.floe.*;

import io.strata.compression.Matrix;
import io.strata.compression.codec.CodecParams;
import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.ExpertCodec;
import io.strata.compression.codec.ExpertCodecs;
import io.strata.compression.codec.FloeCodec;
import io.strata.compression.floe.CompressionReport;
import io.strata.compression.floe.IntraExpertPredictor;
import io.strata.compression.floe.MaskQuality;
import io.strata.compression.kernel.Kernels;
import io.strata.engine.backend.Backend;
import io.strata.engine.backend.Buf;
import io.strata.engine.backend.KvCache;
import io.strata.engine.backend.cpu.CpuBackend;
import io.strata.engine.checkpoint.Checkpoint;
import io.strata.engine.generate.Sampler;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.MoeModel;
import io.strata.engine.moe.RoutingObserver;
import io.strata.engine.store.CheckpointExpertStore;
import io.strata.engine.tokenizer.Tokenizer;
import io.strata.tiering.ExpertHandle;
import io.strata.tiering.ExpertKey;
import io.strata.tiering.ExpertStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Runs every codec of {@link Settings#codecs} on a checkpoint and measures, against the
 * checkpoint's own bf16 experts:
 * <ul>
 *   <li>size: bits per parameter and compression ratio of one expert;</li>
 *   <li>relative weight error ‖W − Ŵ‖/‖W‖ over the three matrices, averaged over experts;</li>
 *   <li>expert output error ‖y − ŷ‖/‖y‖ pooled over real (layer, expert, token) inputs: the
 *       router inputs of the routed experts while the bf16 model reads the evaluation text;</li>
 *   <li>whole-model top-1 agreement and KL(p_bf16 ‖ p_codec) of next-token distributions at every
 *       position after BOS of each prompt followed by the bf16 model's greedy continuation (teacher forced);</li>
 *   <li>bytes moved per expert activation and per token: a whole expert for dense codecs; for
 *       floe, only the active channels' gate and downT rows ({@code 4H} bytes per channel), the
 *       resident INT2 up excluded.</li>
 * </ul>
 * FloE thresholds are calibrated on {@link Settings#calibration} (never the evaluation text)
 * with the INT2 up projections serving uses. The intra-expert predictor (layer L+1's mask from
 * layer L's router input and L+1's resident up) is scored on the evaluation text.
 */
public final class CompressionExperiment {
    private static final System.Logger LOG = System.getLogger("strata.floe");

    /**
     * @param codecs       codec names ("bf16", "int8", "int4", "int2", "floe", ...); a floe codec may carry its own
     *                     target sparsity as {@code name@sparsity}, e.g. "floe@0.5" or "floe-bf16up@0.85"
     * @param sparsity     FloE target sparsity for calibration
     * @param prompts      evaluation prompts
     * @param calibration  calibration texts
     * @param continuation greedy bf16 tokens appended to each prompt before teacher-forced scoring
     */
    public record Settings(List<String> codecs, double sparsity, List<String> prompts, List<String> calibration, int continuation,
                           List<String> heldOut) {
        public Settings(List<String> codecs, double sparsity, List<String> prompts, List<String> calibration, int continuation) {
            this(codecs, sparsity, prompts, calibration, continuation, HeldOutTexts.PASSAGES);
        }

        public static Settings defaults() {
            return new Settings(List.of("bf16", "int8", "int4", "int2", "floe"), 0.85, BuiltinTexts.PROMPTS,
                    BuiltinTexts.CALIBRATION, 24);
        }
    }

    /**
     * One codec's row of the report.
     *
     * @param expertBytes              bytes of one encoded expert (parts, padding excluded)
     * @param residentBytes            bytes per expert that stay in the fast tier and never move (floe: the INT2 up), else 0
     * @param movedBytesPerActivation  bytes moved per (token, expert) activation from the slow tier, no reuse
     * @param movedFractionOfBf16      movedBytesPerActivation / bf16 expert bytes (6·H·I)
     * @param movedBytesPerToken       movedBytesPerActivation · topK · MoE layers
     * @param movedBytesPerTokenWithReuse floe: bytes actually copied per token when rows stay resident for the
     *                                 rest of a prompt (unbounded fast tier, cold at each prompt); null otherwise
     * @param weightError              mean over experts of ‖W − Ŵ‖/‖W‖ (gate, up, down together)
     * @param expertOutputError        pooled ‖y − ŷ‖/‖y‖ over real expert inputs
     * @param top1Agreement            fraction of positions whose argmax equals bf16's
     * @param meanKl                   mean KL(p_bf16 ‖ p_codec) per position, nats
     * @param maxKl                    largest per-position KL, nats
     * @param realizedSparsity         floe: fraction of channels skipped while running the evaluation text; null otherwise
     * @param targetSparsity           floe: the sparsity its thresholds were calibrated for; null otherwise
     * @param thresholds               floe: per-layer thresholds (calibrated with this codec's own up projection); null otherwise
     * @param perplexity               exp(mean next-token negative log-likelihood) on the held-out text, teacher forced
     * @param layerOutputError         per layer, pooled ‖y − ŷ‖/‖y‖ over that layer's real expert inputs (NaN for a dense layer)
     */
    public record CodecResult(String codec, double bitsPerParameter, double compressionRatio, long expertBytes, long residentBytes,
                              double movedBytesPerActivation, double movedFractionOfBf16, double movedBytesPerToken,
                              Double movedBytesPerTokenWithReuse, double weightError, double expertOutputError, double top1Agreement,
                              double meanKl, double maxKl, Double realizedSparsity, Double targetSparsity, float[] thresholds,
                              double perplexity, double[] layerOutputError) {}

    /**
     * @param channelRecall     truly active channels of layer L+1 that were predicted, micro-averaged
     * @param channelPrecision  predicted channels that were truly active
     * @param predictedDensity  predicted channels / channels
     * @param expertHitRate     layer L+1's router applied to layer L's router input: share of the true top-k found in the predicted top-k
     * @param comparisons       (token, layer, expert) masks compared
     */
    public record PredictorResult(double channelRecall, double channelPrecision, double predictedDensity, double expertHitRate,
                                  long comparisons) {}

    /**
     * The default floe codec run over the evaluation text twice from a cold fast tier at each
     * prompt, rows kept resident within a prompt: without and with {@link FloePrefetcher}.
     *
     * @param demandBytesPerTokenWithout on-demand bytes per token without prediction
     * @param demandBytesPerTokenWith    on-demand bytes per token left when the prefetcher runs (its misses)
     * @param prefetchBytesPerToken      bytes the prefetcher copied per token (useful or not)
     * @param covered                    1 − with / without: share of the on-demand traffic moved ahead of need
     */
    public record PrefetchResult(double demandBytesPerTokenWithout, double demandBytesPerTokenWith, double prefetchBytesPerToken,
                                 double covered) {}

    /**
     * @param bf16ExpertBytes      one expert in bf16, 6·H·I
     * @param activationsPerToken  topK · MoE layers
     * @param thresholds           FloE per-layer thresholds calibrated for targetSparsity
     * @param calibrationSparsity  per layer, achieved on the calibration samples
     * @param heldOutTokens        next-token predictions the perplexities are taken over
     * @param bf16Perplexity       the checkpoint's own perplexity on the held-out text (the reference)
     */
    public record Report(String model, String machine, int hidden, int intermediate, int experts, int topK,
                         long bf16ExpertBytes, int activationsPerToken, int prompts, int positions, int expertSamples,
                         double targetSparsity, int calibrationTokens, float[] thresholds, double[] calibrationSparsity,
                         List<CodecResult> codecs, PredictorResult predictor, PrefetchResult prefetch, MaskBound maskBound,
                         int heldOutTokens, double bf16Perplexity) {}

    /**
     * How much any channel mask of the target sparsity can keep, measured on the same real expert
     * inputs with the exact bf16 weights: per token, the {@code ceil((1 − s)·I)} channels with the
     * largest {@code |v_i|} (what a perfectly calibrated exact-up FloE mask keeps), and with the
     * largest {@code |h_i| = |SiLU(g_i)·v_i|} (the best any mask of that size can do per channel).
     *
     * @param sparsity            s
     * @param upTopKOutputError   pooled ‖y − ŷ‖/‖y‖ keeping the top |v| channels
     * @param oracleOutputError   pooled ‖y − ŷ‖/‖y‖ keeping the top |h| channels
     */
    public record MaskBound(double sparsity, double upTopKOutputError, double oracleOutputError) {}

    /**
     * Positions scored per sequence start here: position 0 (after BOS alone) has the same context
     * in every prompt, and its nearly flat distribution would count one near-tie once per prompt.
     */
    static final int FIRST_SCORED = 1;

    private CompressionExperiment() {}

    /** One evaluation sequence: prompt + greedy continuation, and bf16 logits at every position (n, vocab). */
    private record Sequence(int[] ids, float[] logits) {}

    /** Router inputs of one (layer, expert): (n, H) rows gathered over the evaluation text. */
    private static final class Samples {
        final float[][][] x;  // [layer][expert] → (n, H) packed
        final int[][] n;      // [layer][expert] rows
        Samples(int layers, int experts) {
            x = new float[layers][experts][0];
            n = new int[layers][experts];
        }
        void add(int l, int e, float[] rows, int count, int h) {
            float[] cur = x[l][e];
            float[] nx = Arrays.copyOf(cur, cur.length + count * h);
            System.arraycopy(rows, 0, nx, cur.length, count * h);
            x[l][e] = nx;
            n[l][e] += count;
        }
    }

    public static Report run(Path modelDir, Settings s, String machine) {
        Tokenizer tok;
        try {
            tok = Tokenizer.load(modelDir);
        } catch (IOException e) {
            throw new UncheckedIOException(modelDir + ": cannot read tokenizer.json: " + e.getMessage(), e);
        }
        if (s.prompts().isEmpty()) throw new IllegalArgumentException("no evaluation prompts");
        try (Checkpoint ck = Checkpoint.open(modelDir); Arena arena = Arena.ofShared()) {
            ModelConfig c = ModelConfig.parse(ck.config(), modelDir);
            int h = c.hidden(), inter = c.expertIntermediate(), layers = c.numLayers(), E = c.numExperts();
            int moeLayers = 0;
            for (boolean b : c.moeLayer()) if (b) moeLayers++;
            int perToken = c.topK() * moeLayers;
            long bf16Bytes = 6L * h * inter;

            // 1. FloE blobs and thresholds calibrated with their own up projection on the calibration text
            List<int[]> calIds = new ArrayList<>();
            for (String t : s.calibration()) calIds.add(tok.encode(t, true));
            Map<String, EncodedExperts> blobCache = new HashMap<>();
            Map<String, FloeCalibration.Result> calCache = new HashMap<>();
            Function<String, EncodedExperts> blobsOf = name -> blobCache.computeIfAbsent(name,
                    k -> EncodedExperts.encode(c, ck, ExpertCodecs.byName(k), arena));
            BiFunction<String, Double, FloeCalibration.Result> calibrated = (name, sp) -> calCache.computeIfAbsent(name + "@" + sp, k -> {
                long t0 = System.nanoTime();
                try (MoeModel dense = denseModel(c, ck)) {
                    FloeCalibration.Result r = FloeCalibration.run(dense, calIds, sp, FloeCalibration.UpProjection.resident(blobsOf.apply(name)));
                    LOG.log(System.Logger.Level.INFO, String.format("%s: calibrated thresholds for sparsity %.2f on %d tokens in %.1f s: %s",
                            name, sp, r.tokens(), (System.nanoTime() - t0) / 1e9, Arrays.toString(r.thresholds())));
                    return r;
                }
            });
            EncodedExperts floeBlobs = blobsOf.apply(FloeCodec.NAME);
            FloeCalibration.Result cal = calibrated.apply(FloeCodec.NAME, s.sparsity());

            // 2. the bf16 reference: sequences, logits, expert inputs, predictor scores
            Samples samples = new Samples(layers, E);
            PredictorScore pred = new PredictorScore(c, floeBlobs, cal.thresholds());
            List<Sequence> seqs = new ArrayList<>();
            try (MoeModel dense = denseModel(c, ck)) {
                for (String p : s.prompts()) {
                    int[] ids = continueGreedy(dense, tok.encode(p, true), s.continuation());
                    float[][] xs = new float[layers][];
                    RoutingObserver ob = new RoutingObserver() {
                        @Override
                        public void beforeRouting(int layer, int pos0, int n, Buf hidden) {
                            xs[layer] = new float[n * h];
                            dense.backend().read(hidden, xs[layer], 0, n * h);
                        }

                        @Override
                        public void onRouted(int layer, int pos0, int[][] experts, float[][] weights) {
                            for (int e = 0; e < E; e++) {
                                int[] rows = FloeCalibration.tokensOf(experts, e);
                                if (rows.length > 0) samples.add(layer, e, FloeCalibration.gather(xs[layer], rows, h), rows.length, h);
                            }
                            pred.score(layer, xs, experts, dense);
                        }
                    };
                    dense.addObserver(ob);
                    try {
                        seqs.add(new Sequence(ids, dense.forward(ids, 0, dense.newCache(ids.length), true)));
                    } finally {
                        dense.removeObserver(ob);
                    }
                }
            }
            List<int[]> heldOut = new ArrayList<>();
            for (String t : s.heldOut()) heldOut.add(tok.encode(t, true));
            int heldOutTokens = heldOut.stream().mapToInt(ids -> ids.length - 1).sum();
            double bf16Ppl;
            try (MoeModel dense = denseModel(c, ck)) {
                bf16Ppl = perplexity(dense, heldOut, c.vocabSize());
            }
            int positions = seqs.stream().mapToInt(q -> q.ids().length - FIRST_SCORED).sum(); // scored
            int tokensRun = seqs.stream().mapToInt(q -> q.ids().length).sum();
            int sampleCount = 0;
            for (int[] row : samples.n) for (int v : row) sampleCount += v;

            // reference expert outputs: the checkpoint's bf16 experts through the backend's dense SwiGLU
            float[][][] yRef = new float[layers][E][];
            try (CheckpointExpertStore ref = new CheckpointExpertStore(c, ck)) {
                Backend be = new CpuBackend();
                for (int l = 0; l < layers; l++) {
                    if (!c.moeLayer()[l]) continue;
                    for (int e = 0; e < E; e++) if (samples.n[l][e] > 0) yRef[l][e] = expertOutput(be, ref, l, e, samples.x[l][e], samples.n[l][e], h);
                }
            }

            // 3. each codec
            List<CodecResult> rows = new ArrayList<>();
            for (String spec : s.codecs()) {
                long c0 = System.nanoTime();
                CodecSpec cs = CodecSpec.parse(spec, s.sparsity());
                ExpertCodec codec = ExpertCodecs.byName(cs.codec());
                boolean floe = codec.name().startsWith(FloeCodec.NAME);
                EncodedExperts blobs = floe ? blobsOf.apply(codec.name()) : EncodedExperts.encode(c, ck, codec, arena);
                CodecParams params = blobs.params();
                double werr = meanWeightError(c, ck, codec, blobs);
                float[] thresholds = floe ? calibrated.apply(codec.name(), cs.sparsity()).thresholds() : null;
                ExpertStore store = floe ? new FloeExpertStore(blobs, thresholds, false)
                        : new CodecExpertStore(blobs, CodecExpertStore.Mode.FUSED);
                double num = 0, den = 0;
                double[] layerErr = new double[layers];
                Backend be = new CpuBackend();
                for (int l = 0; l < layers; l++) {
                    if (!c.moeLayer()[l]) {
                        layerErr[l] = Double.NaN;
                        continue;
                    }
                    double ln = 0, ld = 0;
                    for (int e = 0; e < E; e++) {
                        if (samples.n[l][e] == 0) continue;
                        float[] y = expertOutput(be, store, l, e, samples.x[l][e], samples.n[l][e], h), r = yRef[l][e];
                        for (int i = 0; i < y.length; i++) {
                            double d = r[i] - y[i];
                            ln += d * d;
                            ld += (double) r[i] * r[i];
                        }
                    }
                    layerErr[l] = Math.sqrt(ln / Math.max(ld, 1e-300));
                    num += ln;
                    den += ld;
                }
                double outErr = Math.sqrt(num / Math.max(den, 1e-300));
                if (store instanceof FloeExpertStore f) f.resetStats();
                // whole model, teacher forced
                int agree = 0;
                double klSum = 0, klMax = 0;
                long copied = 0;
                try (MoeModel m = new MoeModel(c, ck, store, new CpuBackend())) {
                    double ppl = perplexity(m, heldOut, c.vocabSize());
                    if (store instanceof FloeExpertStore f) f.resetStats(); // the transfer figures below cover the evaluation prompts only
                    for (Sequence q : seqs) {
                        if (store instanceof FloeExpertStore f) f.evictAll(); // cold fast tier at each prompt
                        float[] lg = m.forward(q.ids(), 0, m.newCache(q.ids().length), true);
                        int v = c.vocabSize();
                        for (int p = FIRST_SCORED; p < q.ids().length; p++) {
                            if (Sampler.argmax(lg, p * v, v) == Sampler.argmax(q.logits(), p * v, v)) agree++;
                            double kl = kl(q.logits(), lg, p * v, v);
                            klSum += kl;
                            klMax = Math.max(klMax, kl);
                        }
                    }
                    Double sparsity = null, withReuse = null;
                    double perAct;
                    long resident = 0;
                    if (store instanceof FloeExpertStore f) {
                        TransferStats.Snapshot st = f.totals();
                        sparsity = st.sparsity();
                        long channelBytes = params.part("gate").rowBytes() + params.part("downT").rowBytes();
                        perAct = st.meanActiveChannels() * channelBytes;
                        withReuse = (double) st.bytesMoved() / tokensRun;
                        resident = params.part("up").bytes();
                    } else {
                        perAct = params.partBytes();
                    }
                    rows.add(new CodecResult(cs.label(s.sparsity()), CompressionReport.bitsPerParameter(params),
                            CompressionReport.compressionRatio(params), params.partBytes(), resident, perAct, perAct / bf16Bytes,
                            perAct * perToken, withReuse, werr, outErr, (double) agree / positions, klSum / positions, klMax, sparsity,
                            floe ? cs.sparsity() : null, thresholds, ppl, layerErr));
                }
                LOG.log(System.Logger.Level.INFO, String.format("%s: done in %.1f s", spec, (System.nanoTime() - c0) / 1e9));
            }
            return new Report(modelDir.getFileName().toString(), machine, h, inter, E, c.topK(), bf16Bytes, perToken, seqs.size(),
                    positions, sampleCount, s.sparsity(), cal.tokens(), cal.thresholds(), cal.achievedSparsity(), rows, pred.result(),
                    prefetch(c, ck, floeBlobs, cal.thresholds(), seqs, tokensRun), maskBound(c, ck, samples, yRef, s.sparsity()),
                    heldOutTokens, bf16Ppl);
        }
    }

    /** A codec name with an optional {@code @sparsity} (floe codecs only). */
    record CodecSpec(String codec, double sparsity, boolean explicit) {
        static CodecSpec parse(String spec, double defaultSparsity) {
            int at = spec.indexOf('@');
            if (at < 0) return new CodecSpec(spec, defaultSparsity, false);
            String name = spec.substring(0, at);
            if (!name.startsWith(FloeCodec.NAME)) {
                throw new IllegalArgumentException("codec '" + spec + "': only floe codecs take @sparsity");
            }
            double sp;
            try {
                sp = Double.parseDouble(spec.substring(at + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("codec '" + spec + "': expected a sparsity in [0, 1) after '@'", e);
            }
            if (!(sp >= 0 && sp < 1)) throw new IllegalArgumentException("codec '" + spec + "': sparsity must be in [0, 1), found " + sp);
            return new CodecSpec(name, sp, true);
        }

        /** "floe" at the report's sparsity, "floe@0.50" otherwise. */
        String label(double reportSparsity) {
            return explicit && sparsity != reportSparsity ? String.format(java.util.Locale.ROOT, "%s@%.2f", codec, sparsity) : codec;
        }
    }

    /** See {@link MaskBound}; yRef: [layer][expert] (n, H) reference outputs of the samples. */
    private static MaskBound maskBound(ModelConfig c, Checkpoint ck, Samples samples, float[][][] yRef, double sparsity) {
        int h = c.hidden(), inter = c.expertIntermediate(), keep = (int) Math.ceil((1 - sparsity) * inter - 1e-9);
        double[] num = new double[2];
        double den = 0;
        var k = Kernels.dense();
        for (int l = 0; l < c.numLayers(); l++) {
            if (!c.moeLayer()[l]) continue;
            for (int e = 0; e < c.numExperts(); e++) {
                int n = samples.n[l][e];
                if (n == 0) continue;
                var w = c.expert(ck, l, e);
                Matrix gate = w.gate(), up = w.up(), down = w.down();
                float[] x = samples.x[l][e], g = new float[n * inter], v = new float[n * inter];
                k.matmul(gate, x, n, g, 0, inter);
                k.matmul(up, x, n, v, 0, inter);
                float[] hv = new float[n * inter];
                for (int i = 0; i < hv.length; i++) hv[i] = io.strata.compression.floe.DenseExpert.silu(g[i]) * v[i];
                float[] yr = yRef[l][e];
                for (int r = 0; r < yr.length; r++) den += (double) yr[r] * yr[r];
                for (int which = 0; which < 2; which++) {
                    float[] masked = new float[n * inter];
                    for (int t = 0; t < n; t++) {
                        float[] key = Arrays.copyOfRange(which == 0 ? v : hv, t * inter, (t + 1) * inter);
                        for (int i : FloePrefetcher.topK(abs(key), 0, inter, keep)) masked[t * inter + i] = hv[t * inter + i];
                    }
                    float[] y = new float[n * h];
                    k.matmul(down, masked, n, y, 0, h);
                    for (int r = 0; r < y.length; r++) {
                        double d = yr[r] - y[r];
                        num[which] += d * d;
                    }
                }
            }
        }
        return new MaskBound(sparsity, Math.sqrt(num[0] / den), Math.sqrt(num[1] / den));
    }

    private static float[] abs(float[] a) {
        float[] b = new float[a.length];
        for (int i = 0; i < a.length; i++) b[i] = Math.abs(a[i]);
        return b;
    }

    /** Demand traffic of the default floe codec with and without the prefetcher (see {@link PrefetchResult}). */
    static PrefetchResult prefetch(ModelConfig c, Checkpoint ck, EncodedExperts blobs, float[] t, List<Sequence> seqs, int tokens) {
        double[] demand = new double[2];
        double prefetched = 0;
        for (int with = 0; with < 2; with++) {
            FloeExpertStore store = new FloeExpertStore(blobs, t, false);
            try (MoeModel m = new MoeModel(c, ck, store, new CpuBackend())) {
                if (with == 1) m.addObserver(new FloePrefetcher(m, c.topK()));
                for (Sequence q : seqs) {
                    store.evictAll();
                    m.forward(q.ids(), 0, m.newCache(q.ids().length), false);
                }
                demand[with] = (double) store.totals().bytesMoved() / tokens;
                if (with == 1) prefetched = (double) store.totals().prefetchBytes() / tokens;
            }
        }
        return new PrefetchResult(demand[0], demand[1], prefetched, demand[0] == 0 ? 0 : 1 - demand[1] / demand[0]);
    }

    private static MoeModel denseModel(ModelConfig c, Checkpoint ck) {
        return new MoeModel(c, ck, new CheckpointExpertStore(c, ck), new CpuBackend());
    }

    /** prompt followed by `count` greedy tokens of the model. */
    static int[] continueGreedy(MoeModel m, int[] prompt, int count) {
        int[] ids = Arrays.copyOf(prompt, prompt.length + count);
        KvCache cache = m.newCache(ids.length);
        float[] lg = m.forward(prompt, 0, cache, false);
        int v = m.config().vocabSize();
        for (int i = 0; i < count; i++) {
            ids[prompt.length + i] = Sampler.argmax(lg, 0, v);
            if (i + 1 < count) lg = m.forward(new int[] {ids[prompt.length + i]}, prompt.length + i, cache, false);
        }
        return ids;
    }

    /** y (n, H) of expert (l, e) from the store on x (n, H), computed by the backend's kernel for its layout. */
    static float[] expertOutput(Backend be, ExpertStore store, int l, int e, float[] x, int n, int h) {
        Buf xb = be.alloc(n * h), yb = be.alloc(n * h);
        be.write(xb, x, 0, n * h);
        try (ExpertHandle handle = store.acquire(l, e)) {
            be.expertFfn(handle, xb, n, yb);
        }
        float[] y = new float[n * h];
        be.read(yb, y, 0, n * h);
        return y;
    }

    /** Mean over experts of the relative weight error of all three matrices. */
    static double meanWeightError(ModelConfig c, Checkpoint ck, ExpertCodec codec, EncodedExperts blobs) {
        double sum = 0;
        int count = 0;
        for (int l = 0; l < c.numLayers(); l++) {
            if (!c.moeLayer()[l]) continue;
            for (int e = 0; e < c.numExperts(); e++) {
                var w = c.expert(ck, l, e);
                var orig = new io.strata.compression.codec.ExpertWeights(w.gate(), w.up(), w.down());
                try (Arena a = Arena.ofConfined()) {
                    EncodedExpert b = blobs.get(l, e);
                    sum += CompressionReport.weightErrors(orig, codec.decode(b, a)).get("all");
                }
                count++;
            }
        }
        return sum / count;
    }

    /** KL(softmax(p) ‖ softmax(q)) over logits p, q at [off, off + len), nats. */
    /** exp of the mean negative log-likelihood of each next token of each sequence (teacher forced, natural log). */
    public static double perplexity(MoeModel m, List<int[]> seqs, int vocab) {
        double nll = 0;
        long n = 0;
        for (int[] ids : seqs) {
            float[] lg = m.forward(ids, 0, m.newCache(ids.length), true); // (ids.length, vocab)
            for (int p = 0; p + 1 < ids.length; p++) {
                nll += nll(lg, p * vocab, vocab, ids[p + 1]);
                n++;
            }
        }
        return Math.exp(nll / Math.max(1, n));
    }

    /** −log softmax(logits[off, off + len))[target], by log-sum-exp in double. */
    static double nll(float[] logits, int off, int len, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < len; i++) max = Math.max(max, logits[off + i]);
        double z = 0;
        for (int i = 0; i < len; i++) z += Math.exp(logits[off + i] - max);
        return max + Math.log(z) - logits[off + target];
    }

    static double kl(float[] p, float[] q, int off, int len) {
        double mp = Double.NEGATIVE_INFINITY, mq = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < len; i++) {
            mp = Math.max(mp, p[off + i]);
            mq = Math.max(mq, q[off + i]);
        }
        double zp = 0, zq = 0;
        for (int i = 0; i < len; i++) {
            zp += Math.exp(p[off + i] - mp);
            zq += Math.exp(q[off + i] - mq);
        }
        double lzp = mp + Math.log(zp), lzq = mq + Math.log(zq), kl = 0;
        for (int i = 0; i < len; i++) {
            double lp = p[off + i] - lzp, lq = q[off + i] - lzq;
            kl += Math.exp(lp) * (lp - lq);
        }
        return Math.max(0, kl);
    }

    /**
     * Scores FloE's predictors while the bf16 model runs: at layer L+1's routing, the intra-expert
     * mask of each truly routed expert is predicted from layer L's router input with L+1's INT2 up
     * and threshold; the inter-expert guess applies L+1's router to the same early state.
     */
    static final class PredictorScore {
        private final ModelConfig c;
        private final EncodedExperts floe;
        private final float[] thresholds;
        private final IntraExpertPredictor intra = new IntraExpertPredictor(Kernels.quant());
        private MaskQuality total = new MaskQuality(0, 0, 0, 0);
        private long hits, wanted, comparisons;

        PredictorScore(ModelConfig c, EncodedExperts floe, float[] thresholds) {
            this.c = c;
            this.floe = floe;
            this.thresholds = thresholds;
        }

        /** xs[layer] (n, H) router inputs of the current forward; experts (n, k) of layer. */
        void score(int layer, float[][] xs, int[][] experts, MoeModel m) {
            if (layer == 0 || !c.moeLayer()[layer] || !c.moeLayer()[layer - 1] || xs[layer - 1] == null) return;
            int h = c.hidden(), n = experts.length, E = c.numExperts(), k = c.topK();
            float[] early = xs[layer - 1], now = xs[layer];
            Matrix router = m.weights().layers[layer].router.matrix(); // (E, H)
            float[] rl = new float[n * E];
            Kernels.dense().matmul(router, early, n, rl, 0, E);
            for (int t = 0; t < n; t++) {
                float[] xe = Arrays.copyOfRange(early, t * h, (t + 1) * h), xn = Arrays.copyOfRange(now, t * h, (t + 1) * h);
                Integer[] order = new Integer[E];
                for (int e = 0; e < E; e++) order[e] = e;
                final int base = t * E;
                Arrays.sort(order, (a, b) -> Float.compare(rl[base + b], rl[base + a]));
                for (int e : experts[t]) {
                    var up = FloeCodec.upView(floe.get(layer, e));
                    boolean[] truth = intra.predict(xn, up, thresholds[layer]);
                    total = total.plus(intra.evaluate(xe, up, thresholds[layer], truth));
                    comparisons++;
                    for (int j = 0; j < k; j++) if (order[j] == e) hits++;
                    wanted++;
                }
            }
        }

        PredictorResult result() {
            return new PredictorResult(total.recall(), total.precision(),
                    total.channels() == 0 ? 0 : (double) total.predicted() / total.channels(),
                    wanted == 0 ? 0 : (double) hits / wanted, comparisons);
        }
    }
}
