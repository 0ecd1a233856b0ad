// Interleaved A/B timing of kernel pairs on one thread's CPU clock: robust to a shared, loaded machine.
package io.strata.bench.kernels;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strata.bench.compression.ExpertShape;
import io.strata.bench.kernels.baseline.BaselineDenseKernels;
import io.strata.bench.kernels.baseline.BaselineQuantKernels;
import io.strata.compression.Matrix;
import io.strata.compression.kernel.DenseKernels;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.kernel.QuantKernels;
import io.strata.compression.quant.HqqFit;
import io.strata.compression.quant.QuantFormat;
import io.strata.compression.quant.QuantizedMatrix;
import java.io.File;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The same pairs as {@link ReductionOrderBench} and {@link PrefillMatmulBench}, timed differently:
 * each pair alternates A, B, A, B … (ROUNDS times after a warm-up of both), each call timed with
 * the thread's CPU clock, and the ratio B/A of every adjacent pair is kept; the median ratio is
 * reported. Time spent descheduled by other processes does not count, and a burst of load hits
 * A and B alike. {@code java … PairedCpuTimeMain [out.json]}.
 */
public final class PairedCpuTimeMain {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    static final int ROUNDS = 300;

    private PairedCpuTimeMain() {}

    record Pair(String name, Runnable a, Runnable b) {}

    public static void main(String[] args) throws Exception {
        String out = args.length > 0 ? args[0] : "bench/results/paired-cputime.json";
        Arena arena = Arena.ofShared();
        Matrix down = ExpertShape.random("down", 2048, 1024, arena, 3);
        Matrix up = ExpertShape.random("up", 1024, 2048, arena, 4);
        QuantizedMatrix int4 = QuantizedMatrix.encode(up, QuantFormat.INT4_G64, HqqFit.RTN, arena);
        QuantizedMatrix int2 = QuantizedMatrix.encode(up, QuantFormat.INT2_G64, HqqFit.RTN, arena);
        QuantizedMatrix int8 = QuantizedMatrix.encode(up, QuantFormat.INT8_G64, HqqFit.RTN, arena);
        BaselineDenseKernels db = new BaselineDenseKernels();
        BaselineQuantKernels qb = new BaselineQuantKernels();
        DenseKernels dn = Kernels.vectorOrNull();
        QuantKernels qn = Kernels.vectorQuantOrNull();
        float[] x1 = ExpertShape.randomVector(1024, 5), x2 = ExpertShape.randomVector(2048, 6);
        float[] y1 = new float[2048], y2 = new float[1024];
        int n = 32;
        float[] xb = ExpertShape.randomVector(n * 2048, 7), yb = new float[n * 1024];
        List<Pair> pairs = List.of(
                new Pair("bf16 [2048,1024] one token: before/now", () -> db.matmul(down, x1, 1, y1, 0, 2048), () -> dn.matmul(down, x1, 1, y1, 0, 2048)),
                new Pair("int4 [1024,2048] one token: before/now", () -> qb.matmul(int4, x2, 1, y2, 0, 1024), () -> qn.matmul(int4, x2, 1, y2, 0, 1024)),
                new Pair("int2 [1024,2048] one token: before/now", () -> qb.matmul(int2, x2, 1, y2, 0, 1024), () -> qn.matmul(int2, x2, 1, y2, 0, 1024)),
                new Pair("int8 [1024,2048] one token: before/now", () -> qb.matmul(int8, x2, 1, y2, 0, 1024), () -> qn.matmul(int8, x2, 1, y2, 0, 1024)),
                new Pair("bf16 [1024,2048] 32 tokens: before/now", () -> db.matmul(up, xb, n, yb, 0, 1024), () -> dn.matmul(up, xb, n, yb, 0, 1024)),
                new Pair("int4 [1024,2048] 32 tokens: before/now", () -> qb.matmul(int4, xb, n, yb, 0, 1024), () -> qn.matmul(int4, xb, n, yb, 0, 1024)),
                new Pair("int8 [1024,2048] 32 tokens: before/now", () -> qb.matmul(int8, xb, n, yb, 0, 1024), () -> qn.matmul(int8, xb, n, yb, 0, 1024)));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("machine", System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " cpus, shared");
        result.put("kernels", dn.name() + " / " + qn.name());
        result.put("rounds", ROUNDS);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Pair p : pairs) {
            long warm = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < warm) {
                p.a.run();
                p.b.run();
            }
            double[] ratio = new double[ROUNDS], ta = new double[ROUNDS], tb = new double[ROUNDS];
            for (int i = 0; i < ROUNDS; i++) {
                ta[i] = cpu(p.a);
                tb[i] = cpu(p.b);
                ratio[i] = tb[i] / ta[i];
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("pair", p.name);
            row.put("a_median_us", median(ta) / 1e3);
            row.put("b_median_us", median(tb) / 1e3);
            row.put("median_ratio_b_over_a", median(ratio));
            row.put("ratio_p25", quantile(ratio, 0.25));
            row.put("ratio_p75", quantile(ratio, 0.75));
            rows.add(row);
            System.out.printf("%-42s A %9.1f us  B %9.1f us  B/A %.3f [%.3f, %.3f]%n", p.name, median(ta) / 1e3, median(tb) / 1e3,
                    median(ratio), quantile(ratio, 0.25), quantile(ratio, 0.75));
        }
        result.put("pairs", rows);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(new File(out), result);
        arena.close();
    }

    private static double cpu(Runnable r) {
        long t0 = MX.getCurrentThreadCpuTime();
        r.run();
        return MX.getCurrentThreadCpuTime() - t0;
    }

    static double median(double[] v) {
        return quantile(v, 0.5);
    }

    static double quantile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.round(q * (s.length - 1)))];
    }
}
