// Thread-CPU-time companion to the JMH compression benchmarks, for shared machines where wall time is noise.
package io.strata.bench.compression;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strata.compression.Matrix;
import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.ExpertWeights;
import io.strata.compression.codec.FloeCodec;
import io.strata.compression.floe.DenseExpert;
import io.strata.compression.floe.FloeExpert;
import io.strata.compression.kernel.DenseKernels;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.kernel.QuantKernels;
import io.strata.compression.quant.HqqFit;
import io.strata.compression.quant.QuantFormat;
import io.strata.compression.quant.QuantizedMatrix;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code java ... io.strata.bench.compression.CompressionCpuTimeMain [out.json]}: the same
 * single-token kernels as {@link CompressionGatherBench} and {@link CompressionMatvecBench}, on one
 * thread ({@code strata.threads=1}), timed with the thread's CPU clock so that time spent
 * descheduled by other processes does not count. Reports the median of 15 rounds after 10
 * warm-up rounds, in µs per call.
 */
public final class CompressionCpuTimeMain {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    public static void main(String[] args) throws Exception {
        System.setProperty("strata.threads", "1"); // before Parallel is initialised
        String out = args.length > 0 ? args[0] : "bench/results/compression-kernels-cputime.json";
        Map<String, Object> result = new LinkedHashMap<>();
        for (ExpertShape s : List.of(ExpertShape.OLMOE, ExpertShape.MIXTRAL)) {
            try (Arena arena = Arena.ofShared()) {
                result.put(s.name(), measure(s, arena));
            }
        }
        result.put("kernels", Map.of("dense", Kernels.dense().name(), "quant", Kernels.quant().name(),
                "threads", 1, "statistic", "median thread-CPU µs per call of 15 rounds"));
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(new File(out), result);
        System.out.println("wrote " + out);
    }

    private static Map<String, Double> measure(ExpertShape s, Arena arena) {
        ExpertWeights dense = s.randomExpert(arena, 42);
        EncodedExpert e = new FloeCodec(FloeCodec.UP_FORMAT, HqqFit.RTN, 0f).encode(dense, arena);
        Matrix gate = FloeCodec.bf16View(e, "gate"), downT = FloeCodec.bf16View(e, "downT");
        QuantizedMatrix int2 = FloeCodec.upView(e);
        QuantizedMatrix int4 = QuantizedMatrix.encode(dense.up(), QuantFormat.INT4_G64, HqqFit.RTN, arena);
        DenseKernels dk = Kernels.dense();
        QuantKernels qk = Kernels.quant();
        int hidden = s.hidden(), inter = s.intermediate();
        float[] x = ExpertShape.randomVector(hidden, 7), y = new float[hidden], g = new float[inter], v = new float[inter];
        FloeExpert probe = FloeExpert.of(e, 0f, qk);
        probe.up(x, v);
        float[] a = new float[inter];
        for (int i = 0; i < inter; i++) a[i] = Math.abs(v[i]);
        Arrays.sort(a);
        float t = a[(int) Math.floor(0.9 * inter) - 1];
        FloeExpert floe = FloeExpert.of(e, t, qk);
        FloeExpert.Scratch scratch = floe.newScratch();
        int[] idx = new int[inter];
        int count = FloeExpert.mask(v, t, idx);
        float[] h = new float[inter];
        for (int k = 0; k < count; k++) h[k] = (float) Math.sin(k);

        Map<String, Runnable> ops = new LinkedHashMap<>();
        ops.put("gateDownDense", () -> {
            dk.matmul(dense.gate(), x, 1, g, 0, inter);
            for (int i = 0; i < inter; i++) g[i] = DenseExpert.silu(g[i]);
            dk.matmul(dense.down(), g, 1, y, 0, hidden);
        });
        ops.put("gateDownGatheredVector", () -> {
            qk.gatherRowsDot(gate, idx, x, g, 0, count);
            for (int i = 0; i < count; i++) g[i] = DenseExpert.silu(g[i]) * h[i];
            Arrays.fill(y, 0f);
            qk.scatterRowsAxpy(downT, idx, g, count, y, 0, hidden);
        });
        ops.put("expertDense", () -> DenseExpert.forward(dense, x, y, dk));
        ops.put("expertFloe", () -> floe.forward(x, y, scratch));
        ops.put("matvecBf16Dense", () -> dk.matmul(dense.up(), x, 1, v, 0, inter));
        ops.put("matvecInt4Vector", () -> qk.matmul(int4, x, 1, v, 0, inter));
        ops.put("matvecInt2Vector", () -> qk.matmul(int2, x, 1, v, 0, inter));
        Map<String, Double> times = new LinkedHashMap<>();
        for (var op : ops.entrySet()) {
            double us = medianMicros(op.getValue(), s == ExpertShape.OLMOE ? 200 : 5);
            times.put(op.getKey(), us);
            System.out.printf("%-8s %-24s %10.1f µs%n", s.name(), op.getKey(), us);
        }
        times.put("activeChannels", (double) count);
        return times;
    }

    /** Median over 15 rounds (after 10 warm-up rounds) of thread-CPU time per call, µs. */
    private static double medianMicros(Runnable op, int callsPerRound) {
        double[] r = new double[25];
        for (int round = 0; round < r.length; round++) {
            long t0 = MX.getCurrentThreadCpuTime();
            for (int i = 0; i < callsPerRound; i++) op.run();
            r[round] = (MX.getCurrentThreadCpuTime() - t0) / 1e3 / callsPerRound;
        }
        double[] kept = Arrays.copyOfRange(r, 10, r.length);
        Arrays.sort(kept);
        return kept[kept.length / 2];
    }
}
