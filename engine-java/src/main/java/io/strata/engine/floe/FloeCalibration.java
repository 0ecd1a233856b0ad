// Calibrating FloE's per-layer thresholds: run the model on text, sample |x·W_upᵀ| of the routed experts, take quantiles.
package io.strata.engine.floe;

import io.strata.compression.Matrix;
import io.strata.compression.codec.FloeCodec;
import io.strata.compression.floe.ThresholdCalibration;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.kernel.Parallel;
import io.strata.compression.kernel.QuantKernels;
import io.strata.compression.quant.QuantizedMatrix;
import io.strata.engine.api.StrataModel;
import io.strata.engine.backend.Buf;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.MoeModel;
import io.strata.engine.moe.RoutingObserver;
import io.strata.tiering.ExpertHandle;
import io.strata.tiering.ExpertStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * For each MoE layer L, the samples are {@code v = x·W_upᵀ} (I values) for every calibration
 * token and each of its top-k routed experts, x being the router's input (post-attention
 * RMSNorm output, (H)). The threshold is the {@code sparsity}-quantile of {@code |v|}
 * ({@link ThresholdCalibration}), so {@code |v| > t} keeps about {@code 1 − sparsity} of the
 * channels on text like the calibration text.
 *
 * <p>Which {@code W_up} is sampled matters: serving computes the mask from the resident INT2 up,
 * so calibrate with {@link UpProjection#resident(EncodedExperts)} of the floe blobs when they
 * exist; {@link #calibrate(MoeModel, List, double)} uses the model's own store (the FloE store's
 * resident up, or the dense up of any other store).
 */
public final class FloeCalibration {
    /** Longest token window of one calibration text; longer texts are split into windows of this size. */
    public static final int MAX_TOKENS = 256;

    private FloeCalibration() {}

    /** Computes {@code v (n, I) = x (n, H) · W_upᵀ} of expert (layer, expert). */
    public interface UpProjection {
        void up(int layer, int expert, float[] x, int n, float[] v);

        /** The resident quantized (or bf16) up of floe blobs, through the fused kernels. */
        static UpProjection resident(EncodedExperts floe) {
            if (!floe.codec().startsWith(FloeCodec.NAME)) {
                throw new IllegalArgumentException("resident up projections need floe blobs, found codec '" + floe.codec() + "'");
            }
            QuantKernels k = Kernels.quant();
            return (l, e, x, n, v) -> {
                var blob = floe.get(l, e);
                if (blob.params().part("up").format().equals("bf16")) {
                    Matrix up = FloeCodec.bf16View(blob, "up");
                    Parallel.forRange(up.rows(), 64, (a, b) -> Kernels.dense().matmul(up, x, n, v, a, b));
                } else {
                    QuantizedMatrix up = FloeCodec.upView(blob);
                    Parallel.forRange(up.rows(), 64, (a, b) -> k.matmul(up, x, n, v, a, b));
                }
            };
        }

        /** The up projection of the store's experts: the resident up of a FloE store, else the dense up matrix. */
        static UpProjection of(ExpertStore store) {
            if (store instanceof FloeExpertStore f) return resident(f.lower());
            return (l, e, x, n, v) -> {
                try (ExpertHandle h = store.acquire(l, e)) {
                    Matrix up = h.weights().up();
                    Parallel.forRange(up.rows(), 64, (a, b) -> Kernels.dense().matmul(up, x, n, v, a, b));
                }
            };
        }
    }

    /**
     * Thresholds and what they achieve on the calibration samples.
     *
     * @param thresholds       (layers) t per layer; 0 for dense layers
     * @param achievedSparsity (layers) fraction of sampled |v| ≤ t; 0 for dense layers
     * @param samples          (layers) sampled v values per layer
     * @param tokens           calibration tokens run
     */
    public record Result(float[] thresholds, double[] achievedSparsity, long[] samples, int tokens) {}

    /** FloE thresholds for a loaded model from texts (tokenized with the model's tokenizer, BOS added). */
    public static float[] calibrate(StrataModel model, List<String> texts, double sparsity) {
        return calibrate(model.model(), tokenize(model, texts), sparsity);
    }

    /** FloE thresholds from token sequences, sampling the up projections of the model's own store. */
    public static float[] calibrate(MoeModel model, List<int[]> ids, double sparsity) {
        return run(model, ids, sparsity, UpProjection.of(model.store())).thresholds();
    }

    /**
     * FloE thresholds sampled with the resident up projections of floe blobs (what serving
     * thresholds against): the form {@code strata pack --codec floe --calibration FILE} needs,
     * since it has the encoded experts at hand. The model should serve the original experts.
     */
    public static float[] calibrate(MoeModel model, List<int[]> ids, double sparsity, EncodedExperts floeBlobs) {
        return run(model, ids, sparsity, UpProjection.resident(floeBlobs)).thresholds();
    }

    /**
     * Runs the model over each sequence (windows of at most {@link #MAX_TOKENS}), samples
     * {@code up} for each token's routed experts, and picks per-layer thresholds.
     *
     * @throws IllegalArgumentException if there are no tokens, or a layer received no samples
     */
    public static Result run(MoeModel model, List<int[]> ids, double sparsity, UpProjection up) {
        if (!(sparsity >= 0 && sparsity < 1)) throw new IllegalArgumentException("sparsity must be in [0, 1), found " + sparsity);
        ModelConfig c = model.config();
        int h = c.hidden(), inter = c.expertIntermediate();
        List<List<float[]>> perLayer = new ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) perLayer.add(new ArrayList<>());
        float[][] xs = new float[c.numLayers()][]; // per layer: router input (n, H) of the current forward
        RoutingObserver ob = new RoutingObserver() {
            @Override
            public void beforeRouting(int layer, int pos0, int n, Buf hidden) {
                xs[layer] = new float[n * h];
                model.backend().read(hidden, xs[layer], 0, n * h);
            }

            @Override
            public void onRouted(int layer, int pos0, int[][] experts, float[][] weights) {
                int n = experts.length;
                for (int e = 0; e < c.numExperts(); e++) {
                    int[] rows = tokensOf(experts, e);
                    if (rows.length == 0) continue;
                    float[] x = gather(xs[layer], rows, h), v = new float[rows.length * inter];
                    up.up(layer, e, x, rows.length, v);
                    for (int t = 0; t < rows.length; t++) perLayer.get(layer).add(Arrays.copyOfRange(v, t * inter, (t + 1) * inter));
                }
            }
        };
        int tokens = 0;
        model.addObserver(ob);
        try {
            for (int[] seq : ids) {
                for (int from = 0; from < seq.length; from += MAX_TOKENS) {
                    int[] w = Arrays.copyOfRange(seq, from, Math.min(seq.length, from + MAX_TOKENS));
                    model.forward(w, 0, model.newCache(w.length), false);
                    tokens += w.length;
                }
            }
        } finally {
            model.removeObserver(ob);
        }
        if (tokens == 0) throw new IllegalArgumentException("calibration needs at least one token, found none");
        float[] t = new float[c.numLayers()];
        double[] achieved = new double[c.numLayers()];
        long[] counts = new long[c.numLayers()];
        for (int l = 0; l < c.numLayers(); l++) {
            if (!c.moeLayer()[l]) continue;
            List<float[]> s = perLayer.get(l);
            if (s.isEmpty()) throw new IllegalArgumentException("layer " + l + ": no routed tokens reached it during calibration");
            t[l] = ThresholdCalibration.threshold(s, sparsity);
            achieved[l] = ThresholdCalibration.sparsity(s, t[l]);
            counts[l] = (long) s.size() * inter;
        }
        return new Result(t, achieved, counts, tokens);
    }

    /** Token rows of experts (n, k) routed to expert e, ascending. */
    public static int[] tokensOf(int[][] experts, int e) {
        int[] rows = new int[experts.length];
        int m = 0;
        for (int t = 0; t < experts.length; t++) {
            for (int id : experts[t]) {
                if (id == e) {
                    rows[m++] = t;
                    break;
                }
            }
        }
        return Arrays.copyOf(rows, m);
    }

    /** Rows rows[i] of x (·, dim) packed into (rows.length, dim). */
    public static float[] gather(float[] x, int[] rows, int dim) {
        float[] out = new float[rows.length * dim];
        for (int i = 0; i < rows.length; i++) System.arraycopy(x, rows[i] * dim, out, i * dim, dim);
        return out;
    }

    /** Token ids of each text, BOS added. */
    public static List<int[]> tokenize(StrataModel model, List<String> texts) {
        List<int[]> out = new ArrayList<>();
        for (String s : texts) out.add(model.encode(s));
        return out;
    }

    /**
     * Calibration texts from a UTF-8 file: paragraphs separated by blank lines.
     *
     * @throws IllegalArgumentException if the file holds no non-blank text (or is not UTF-8)
     */
    public static List<String> readTexts(Path file) {
        String s;
        try {
            s = Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new IllegalArgumentException("calibration file " + file + ": expected UTF-8 text, found invalid bytes", e);
        } catch (IOException e) {
            throw new UncheckedIOException("calibration file " + file + ": " + e.getMessage(), e);
        }
        List<String> texts = new ArrayList<>();
        for (String p : s.split("\\R[ \\t]*\\R")) if (!p.isBlank()) texts.add(p.strip());
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("calibration file " + file + " contains no text (expected UTF-8 paragraphs separated "
                    + "by blank lines, found " + s.length() + " characters of whitespace)");
        }
        return texts;
    }
}
