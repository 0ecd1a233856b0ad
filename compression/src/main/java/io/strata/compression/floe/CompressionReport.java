// Error and size reports of expert codecs: bits per weight, ratio to bf16, weight and output error, FloE bytes moved.
package io.strata.compression.floe;

import io.strata.compression.Matrix;
import io.strata.compression.codec.CodecParams;
import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.ExpertCodec;
import io.strata.compression.codec.ExpertWeights;
import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Static measurements; the records are JSON-able for bench/results. */
public final class CompressionReport {
    private CompressionReport() {}

    /**
     * One codec on one expert.
     *
     * @param bytes               Σ part bytes (padding excluded)
     * @param bf16Bytes           the same expert as bf16, {@code 6·H·I}
     * @param bitsPerParameter    {@code 8·bytes / (3·H·I)}
     * @param compressionRatio    {@code bf16Bytes / bytes}
     * @param weightError         ‖W − Ŵ‖/‖W‖ per part ("gate", "up", "down") and "all"
     * @param outputRelativeError ‖y − ŷ‖/‖y‖ of the dense SwiGLU expert over random Gaussian inputs
     *                            (for floe codecs: the sparse FloE forward at the params' threshold)
     */
    public record ExpertReport(String codec, int hidden, int intermediate, long bytes, long bf16Bytes, double bitsPerParameter,
                               double compressionRatio, Map<String, Double> weightError, double outputRelativeError) {}

    /**
     * Bytes one FloE expert activation moves from the slow tier.
     *
     * @param density       fraction of channels active, 1 − sparsity
     * @param channels      active channels, {@code ceil(density · I)}
     * @param residentBytes the INT2 up projection, held in the fast tier and never moved per activation
     * @param movedBytes    {@code channels · (gate row + downT row) = channels · 4H}
     * @param bf16Bytes     a whole bf16 expert, {@code 6·H·I}: what a dense move carries
     * @param fractionOfBf16 movedBytes / bf16Bytes (FloE's goal: ≤ 1/8 at 85-90 % sparsity)
     */
    public record FloeTraffic(int hidden, int intermediate, double density, int channels, long residentBytes, long movedBytes,
                              long bf16Bytes, double fractionOfBf16) {}

    public static double bitsPerParameter(CodecParams p) {
        return 8.0 * p.partBytes() / (3.0 * p.hidden() * p.intermediate());
    }

    public static long bf16Bytes(CodecParams p) {
        return 6L * p.hidden() * p.intermediate();
    }

    public static double compressionRatio(CodecParams p) {
        return (double) bf16Bytes(p) / p.partBytes();
    }

    /** ‖a − b‖₂/‖a‖₂ over equal-shaped matrices (any float dtypes). */
    public static double relativeError(Matrix a, Matrix b) {
        if (a.rows() != b.rows() || a.cols() != b.cols()) {
            throw new IllegalArgumentException(a.name() + " vs " + b.name() + ": shapes [" + a.rows() + ", " + a.cols() + "] and ["
                    + b.rows() + ", " + b.cols() + "] differ");
        }
        double[] nd = sqSums(a, b);
        return Math.sqrt(nd[0] / Math.max(nd[1], 1e-300));
    }

    private static double[] sqSums(Matrix a, Matrix b) {
        double num = 0, den = 0;
        for (int r = 0; r < a.rows(); r++) {
            for (int c = 0; c < a.cols(); c++) {
                double x = a.get(r, c), d = x - b.get(r, c);
                num += d * d;
                den += x * x;
            }
        }
        return new double[] {num, den};
    }

    /** Relative weight error per part and over all three ("all"). */
    public static Map<String, Double> weightErrors(ExpertWeights original, ExpertWeights decoded) {
        Map<String, Double> m = new LinkedHashMap<>();
        double num = 0, den = 0;
        Matrix[][] pairs = {{original.gate(), decoded.gate()}, {original.up(), decoded.up()}, {original.down(), decoded.down()}};
        String[] names = {"gate", "up", "down"};
        for (int i = 0; i < 3; i++) {
            double[] nd = sqSums(pairs[i][0], pairs[i][1]);
            m.put(names[i], Math.sqrt(nd[0] / Math.max(nd[1], 1e-300)));
            num += nd[0];
            den += nd[1];
        }
        m.put("all", Math.sqrt(num / Math.max(den, 1e-300)));
        return m;
    }

    /** ‖y − ŷ‖/‖y‖ of the dense expert, summed over {@code samples} Gaussian inputs x ~ N(0, 1)^H. */
    public static double outputRelativeError(ExpertWeights original, ExpertWeights decoded, int samples, long seed) {
        return relativeError(original, (x, yh) -> DenseExpert.forward(decoded, x, yh), samples, seed);
    }

    /** ‖y − ŷ‖/‖y‖ of the sparse FloE forward (threshold t) against the dense expert, Gaussian inputs. */
    public static double floeOutputRelativeError(ExpertWeights original, FloeExpert floe, int samples, long seed) {
        FloeExpert.Scratch s = floe.newScratch();
        return relativeError(original, (x, yh) -> floe.forward(x, yh, s), samples, seed);
    }

    /** ‖y − ŷ‖/‖y‖ over samples Gaussian inputs, y from the dense original, ŷ = approx(x) (H) → (H). */
    private static double relativeError(ExpertWeights original, java.util.function.BiConsumer<float[], float[]> approx,
                                        int samples, long seed) {
        Random rnd = new Random(seed);
        int h = original.hidden();
        double num = 0, den = 0;
        float[] x = new float[h], y = new float[h], yh = new float[h];
        for (int i = 0; i < samples; i++) {
            for (int c = 0; c < h; c++) x[c] = (float) rnd.nextGaussian();
            DenseExpert.forward(original, x, y);
            approx.accept(x, yh);
            for (int c = 0; c < h; c++) {
                double d = y[c] - yh[c];
                num += d * d;
                den += (double) y[c] * y[c];
            }
        }
        return Math.sqrt(num / Math.max(den, 1e-300));
    }

    /** Bytes moved per FloE activation at {@code density} active channels (see {@link FloeTraffic}). */
    public static FloeTraffic floeTraffic(CodecParams floe, double density) {
        if (!(density >= 0 && density <= 1)) throw new IllegalArgumentException("density must be in [0, 1], found " + density);
        int channels = (int) Math.ceil(density * floe.intermediate() - 1e-9);
        long moved = channels * (floe.part("gate").rowBytes() + floe.part("downT").rowBytes());
        long bf16 = bf16Bytes(floe);
        return new FloeTraffic(floe.hidden(), floe.intermediate(), density, channels, floe.part("up").bytes(), moved, bf16,
                (double) moved / bf16);
    }

    /** Encodes, decodes and measures one codec on one expert. */
    public static ExpertReport report(ExpertCodec codec, ExpertWeights w, int samples, long seed) {
        try (Arena arena = Arena.ofShared()) { // shared: the kernels read it from pool threads
            EncodedExpert e = codec.encode(w, arena);
            ExpertWeights d = codec.decode(e, arena);
            CodecParams p = e.params();
            double out = p.codec().startsWith("floe")
                    ? floeOutputRelativeError(w, FloeExpert.of(e), samples, seed)
                    : outputRelativeError(w, d, samples, seed);
            return new ExpertReport(p.codec(), p.hidden(), p.intermediate(), p.partBytes(), bf16Bytes(p), bitsPerParameter(p),
                    compressionRatio(p), weightErrors(w, d), out);
        }
    }
}
