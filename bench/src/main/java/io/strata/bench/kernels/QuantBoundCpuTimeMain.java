// One-token quantized matvec against the one-core streaming-read bound, and before/after, on the thread's CPU clock.
package io.strata.bench.kernels;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strata.bench.kernels.baseline.PerRowParamsQuantKernels;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.kernel.QuantKernels;
import io.strata.compression.quant.QuantFormat;
import io.strata.compression.quant.QuantizedMatrix;
import java.io.File;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * How close each quantized one-token kernel comes to the memory bound, measured so that a shared,
 * loaded machine does not decide the answer: everything runs on one thread and is timed with that
 * thread's CPU clock (time spent descheduled does not count), and each round runs, back to back,
 * a streaming read of the same number of bytes (S), the kernel as it was before
 * ({@link PerRowParamsQuantKernels}, A) and the kernel now ({@link Kernels#quant()}, B), each over a
 * matrix of {@code --ws} MiB (default 4× the last-level cache, at least 1 GiB, so nothing is served
 * from the cache). Per round: bound ratio = (S ns/byte) / (kernel ns/byte); speed-up = A/B. The
 * medians over the rounds are reported with the quartiles.
 *
 * <p>Rows are 2048 wide (an OLMoE up/gate projection), group 64. Quantized weights are random
 * codes with valid f16 scales and zeros (the kernels' speed does not depend on the values).
 *
 * <p>Then the prefill (batched) path, before and after on the same clock: an OLMoE expert's up
 * projection [1024, 2048] times {@code --prefill} tokens (default 32), 41 interleaved pairs; only
 * the speed-up is reported (the matrix is cache-resident, so there is no memory bound to compare to).
 *
 * <p>{@code java … QuantBoundCpuTimeMain [--ws MiB] [--rounds N] [--bits 8,4,2] [--prefill N] [--json F]}
 */
public final class QuantBoundCpuTimeMain {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int COLS = 2048;

    private QuantBoundCpuTimeMain() {}

    public static void main(String[] args) throws Exception {
        long wsBytes = MemoryBoundBench.workingSetBytes();
        int rounds = 7, prefillTokens = 32;
        String json = null;
        int[] bitsList = {8, 4, 2};
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--ws" -> wsBytes = Long.parseLong(args[++i]) << 20;
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--json" -> json = args[++i];
                case "--prefill" -> prefillTokens = Integer.parseInt(args[++i]);
                case "--bits" -> {
                    String[] p = args[++i].split(",");
                    bitsList = new int[p.length];
                    for (int k = 0; k < p.length; k++) bitsList[k] = Integer.parseInt(p[k].strip());
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (expected --ws MiB, --rounds N, --bits 8,4,2, --prefill N, --json F)");
            }
        }
        QuantKernels before = new PerRowParamsQuantKernels(), now = Kernels.quant();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("what", "one-token quantized matvec [rows, 2048] g64 on one thread (CPU clock) vs a one-thread streaming read of as many bytes");
        result.put("machine", Runtime.getRuntime().availableProcessors() + " cpus, " + System.getProperty("os.arch") + ", shared during the run");
        result.put("date", Instant.now().toString());
        result.put("working_set_mib", wsBytes >> 20);
        result.put("kernels", before.name() + " (before) / " + now.name() + " (now)");
        result.put("rounds", rounds);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int bits : bitsList) rows.add(measure(bits, wsBytes, rounds, before, now));
        result.put("layouts", rows);
        List<Map<String, Object>> prefill = new ArrayList<>();
        for (int bits : bitsList) prefill.add(prefill(bits, prefillTokens, before, now));
        result.put("prefill", prefill);
        if (json != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(new File(json), result);
            System.out.println("wrote " + json);
        }
    }

    private static Map<String, Object> measure(int bits, long wsBytes, int rounds, QuantKernels before, QuantKernels now) {
        QuantFormat f = new QuantFormat(bits, 64);
        int rows = (int) (wsBytes / (QuantizedMatrix.byteSize(f, 1024, COLS) / 1024));
        try (Arena arena = Arena.ofConfined()) {
            SplittableRandom rnd = new SplittableRandom(bits);
            QuantizedMatrix q = RandomQuantized.matrix(arena, f, rows, COLS, rnd);
            MemorySegment m = q.data();
            MemorySegment stream = arena.allocate(m.byteSize() - m.byteSize() % (2L * F.vectorByteSize()), 4096);
            stream.fill((byte) 1);
            float[] x = new float[COLS], ya = new float[rows], yb = new float[rows];
            for (int i = 0; i < COLS; i++) x[i] = (float) rnd.nextGaussian();
            Runnable s = () -> streamSum(stream), a = () -> before.matmul(q, x, 1, ya, 0, rows), b = () -> now.matmul(q, x, 1, yb, 0, rows);
            for (int i = 0; i < 2; i++) { // warm-up: C2 compiles all three
                s.run();
                a.run();
                b.run();
            }
            double[] boundNow = new double[rounds], boundBefore = new double[rounds], speedup = new double[rounds];
            double[] ts = new double[rounds], ta = new double[rounds], tb = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                ts[r] = cpu(s) / stream.byteSize();
                ta[r] = cpu(a) / m.byteSize();
                tb[r] = cpu(b) / m.byteSize();
                boundBefore[r] = ts[r] / ta[r];
                boundNow[r] = ts[r] / tb[r];
                speedup[r] = ta[r] / tb[r];
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("layout", f.label());
            row.put("matrix", "[" + rows + ", " + COLS + "]");
            row.put("bytes", m.byteSize());
            row.put("stream_gb_per_s_median", 1 / PairedCpuTimeMain.median(ts));
            row.put("before_gb_per_s_median", 1 / PairedCpuTimeMain.median(ta));
            row.put("now_gb_per_s_median", 1 / PairedCpuTimeMain.median(tb));
            row.put("bound_ratio_before_median", PairedCpuTimeMain.median(boundBefore));
            row.put("bound_ratio_now_median", PairedCpuTimeMain.median(boundNow));
            row.put("bound_ratio_now_p25", PairedCpuTimeMain.quantile(boundNow, 0.25));
            row.put("bound_ratio_now_p75", PairedCpuTimeMain.quantile(boundNow, 0.75));
            row.put("speedup_now_over_before_median", PairedCpuTimeMain.median(speedup));
            row.put("per_round_bound_ratio_now", boundNow);
            row.put("per_round_bound_ratio_before", boundBefore);
            row.put("outputs_equal_within", maxRelDiff(ya, yb));
            System.out.printf("%-8s stream %5.2f GB/s  before %5.2f GB/s (%.2f of bound)  now %5.2f GB/s (%.2f of bound, [%.2f, %.2f])  now/before %.2fx%n",
                    f.label(), 1 / PairedCpuTimeMain.median(ts), 1 / PairedCpuTimeMain.median(ta), PairedCpuTimeMain.median(boundBefore),
                    1 / PairedCpuTimeMain.median(tb), PairedCpuTimeMain.median(boundNow), PairedCpuTimeMain.quantile(boundNow, 0.25),
                    PairedCpuTimeMain.quantile(boundNow, 0.75), PairedCpuTimeMain.median(speedup));
            return row;
        }
    }

    /** Batched path: before/after CPU time of [1024, 2048] × n tokens, 41 interleaved pairs after a warm-up. */
    private static Map<String, Object> prefill(int bits, int n, QuantKernels before, QuantKernels now) {
        QuantFormat f = new QuantFormat(bits, 64);
        int rows = 1024, rounds = 41;
        try (Arena arena = Arena.ofShared()) {
            SplittableRandom rnd = new SplittableRandom(100 + bits);
            QuantizedMatrix q = RandomQuantized.matrix(arena, f, rows, COLS, rnd);
            float[] x = new float[n * COLS], y = new float[n * rows];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            Runnable a = () -> before.matmul(q, x, n, y, 0, rows), b = () -> now.matmul(q, x, n, y, 0, rows);
            for (int i = 0; i < 5; i++) {
                a.run();
                b.run();
            }
            double[] ta = new double[rounds], tb = new double[rounds], speedup = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                ta[r] = cpu(a);
                tb[r] = cpu(b);
                speedup[r] = ta[r] / tb[r];
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("layout", f.label());
            row.put("matrix", "[" + rows + ", " + COLS + "] x " + n + " tokens");
            row.put("before_ms_median", PairedCpuTimeMain.median(ta) / 1e6);
            row.put("now_ms_median", PairedCpuTimeMain.median(tb) / 1e6);
            row.put("speedup_now_over_before_median", PairedCpuTimeMain.median(speedup));
            row.put("speedup_p25", PairedCpuTimeMain.quantile(speedup, 0.25));
            row.put("speedup_p75", PairedCpuTimeMain.quantile(speedup, 0.75));
            System.out.printf("prefill %-8s x %d tokens: before %.2f ms  now %.2f ms  now/before %.2fx [%.2f, %.2f]%n", f.label(), n,
                    PairedCpuTimeMain.median(ta) / 1e6, PairedCpuTimeMain.median(tb) / 1e6, PairedCpuTimeMain.median(speedup),
                    PairedCpuTimeMain.quantile(speedup, 0.25), PairedCpuTimeMain.quantile(speedup, 0.75));
            return row;
        }
    }

    /** Largest |a − b| / max(|a|, 1e-3) over the outputs: the two kernels sum in different orders. */
    private static double maxRelDiff(float[] a, float[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(a[i]), 1e-3));
        return worst;
    }

    /** One pass over seg on this thread, two loads in flight (as {@code StreamRead} does per thread). */
    private static float streamSum(MemorySegment seg) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        long step = F.vectorByteSize();
        for (long off = 0; off + 2 * step <= seg.byteSize(); off += 2 * step) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, seg, off, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, seg, off + step, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).lane(0);
    }

    private static double cpu(Runnable r) {
        long t0 = MX.getCurrentThreadCpuTime();
        r.run();
        return MX.getCurrentThreadCpuTime() - t0;
    }
}
