// Writes bench/results/compression-report.json: size, error and FloE traffic of every codec on an expert of real shape.
package io.strata.bench.compression;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strata.compression.DType;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.ExpertCodecs;
import io.strata.compression.codec.ExpertWeights;
import io.strata.compression.codec.FloeCodec;
import io.strata.compression.floe.CompressionReport;
import io.strata.compression.floe.FloeExpert;
import io.strata.compression.floe.ThresholdCalibration;
import io.strata.compression.kernel.Kernels;
import java.io.File;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * {@code java ... io.strata.bench.compression.CompressionReportMain [out.json]}. The expert is
 * random (Gaussian weights, σ = 0.02, OLMoE shape H 2048 × I 1024; inputs x ~ N(0, 1)): sizes
 * and traffic are exact, errors show the codecs' behaviour on unstructured weights, not on a
 * trained model (whose activations are far sparser than a random expert's).
 */
public final class CompressionReportMain {
    public static void main(String[] args) throws Exception {
        String out = args.length > 0 ? args[0] : "bench/results/compression-report.json";
        ExpertShape shape = ExpertShape.OLMOE;
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("expert", Map.of("shape", shape.name(), "hidden", shape.hidden(), "intermediate", shape.intermediate(),
                "weights", "Gaussian sigma 0.02, seed 1", "inputs", "x ~ N(0,1), 8 samples"));
        try (Arena arena = Arena.ofShared()) {
            ExpertWeights w = gaussianExpert(shape, arena, 1);
            List<CompressionReport.ExpertReport> reports = new ArrayList<>();
            for (String codec : List.of("bf16", "int8", "int4", "int2")) {
                long t0 = System.nanoTime();
                reports.add(CompressionReport.report(ExpertCodecs.byName(codec), w, 8, 11));
                System.out.printf("%-6s done in %.1f s%n", codec, (System.nanoTime() - t0) / 1e9);
            }
            // floe at a threshold calibrated for 85 % sparsity on other random inputs
            EncodedExpert e = new FloeCodec().encode(w, arena);
            FloeExpert f0 = FloeExpert.of(e, 0f, Kernels.quant());
            List<float[]> samples = new ArrayList<>();
            Random rnd = new Random(5);
            for (int s = 0; s < 32; s++) {
                float[] x = new float[shape.hidden()], v = new float[shape.intermediate()];
                for (int c = 0; c < x.length; c++) x[c] = (float) rnd.nextGaussian();
                f0.up(x, v);
                samples.add(v);
            }
            Map<String, Object> floe = new LinkedHashMap<>();
            for (double sparsity : new double[] {0.0, 0.8, 0.85, 0.9}) {
                float t = sparsity == 0 ? 0f : ThresholdCalibration.threshold(samples, sparsity);
                double err = CompressionReport.floeOutputRelativeError(w, FloeExpert.of(e, t, Kernels.quant()), 8, 11);
                floe.put("sparsity " + sparsity, Map.of("threshold", t, "outputRelativeError", err));
                System.out.printf("floe sparsity %.2f: t = %.4f, output rel. error %.4f%n", sparsity, t, err);
            }
            reports.add(CompressionReport.report(new FloeCodec(), w, 8, 11));
            result.put("codecs", reports);
            result.put("floeOutputErrorBySparsity", floe);
        }
        List<CompressionReport.FloeTraffic> traffic = new ArrayList<>();
        for (ExpertShape s : List.of(ExpertShape.OLMOE, ExpertShape.MIXTRAL)) {
            for (double density : new double[] {0.2, 0.15, 0.1}) {
                traffic.add(CompressionReport.floeTraffic(new FloeCodec().layout(s.hidden(), s.intermediate()), density));
            }
        }
        result.put("floeTraffic", traffic);
        for (var r : (List<?>) result.get("codecs")) System.out.println(r);
        for (var t : traffic) System.out.println(t);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(new File(out), result);
        System.out.println("wrote " + out);
    }

    /** gate, up {@code [I, H]}, down {@code [H, I]} bf16 with N(0, σ²) weights. */
    static ExpertWeights gaussianExpert(ExpertShape s, Arena arena, long seed) {
        Random rnd = new Random(seed);
        return new ExpertWeights(gaussian("gate", s.intermediate(), s.hidden(), rnd, arena),
                gaussian("up", s.intermediate(), s.hidden(), rnd, arena), gaussian("down", s.hidden(), s.intermediate(), rnd, arena));
    }

    static Matrix gaussian(String name, int rows, int cols, Random rnd, Arena arena) {
        long n = (long) rows * cols;
        MemorySegment seg = arena.allocate(n * 2, 64);
        for (long i = 0; i < n; i++) {
            seg.setAtIndex(Layouts.I16, i, io.strata.compression.Halfs.floatToBf16((float) rnd.nextGaussian() * 0.02f));
        }
        return new Matrix(name, seg, DType.BF16, rows, cols);
    }
}
