// Multiply-adds and weight bytes per second of the shipped matmul kernels, one matrix, n tokens, on one thread or split as
// the engine splits; and the plain read of a matrix's bytes, the rate a kernel streaming them is measured against.
package io.strata.bench.kernels;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strata.compression.DType;
import io.strata.compression.Halfs;
import io.strata.compression.HugePages;
import io.strata.compression.Matrix;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.kernel.Parallel;
import io.strata.compression.kernel.StreamRead;
import io.strata.compression.quant.QuantFormat;
import io.strata.compression.quant.QuantizedMatrix;
import java.io.File;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The rate of one kernel call as the engine makes it: {@code Kernels.quant()} or {@code Kernels.dense()} over a
 * [rows, cols] matrix (cols 2048 unless --cols) and n tokens, either on the calling thread or split over the row range with
 * {@link Parallel#forRange} (as {@code CpuBackend} does). Each round repeats the call until about 4·10^8 multiply-adds
 * are done and reports G multiply-adds per second (wall clock); the median and the range over the rounds are printed.
 * Rounds run first as warm-up for two seconds, not counted.
 * Rows beyond the last-level cache (e.g. 600000) measure the kernel streaming from memory, a few thousand rows measure
 * it from the cache. Used to compare builds: run the same command on each. {@code --layout read} times a plain vector
 * read ({@link StreamRead#sumRange}) of a bf16-sized matrix instead: what the memory gives a thread that only loads.
 * Every layout also reports the weight bytes it streamed per second (codes, scales and zeros for int layouts).
 *
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "bench/target/classes:bench/target/lib/*" \
 *   io.strata.bench.kernels.KernelRateMain --layout int4|int8|int2|bf16|read [--rows 600000] [--cols 2048] [--tokens 1] [--rounds 9]
 *   [--split] [--json F]</pre>
 */
public final class KernelRateMain {
    /** Columns of the matrix unless --cols says otherwise (OLMoE's hidden size; its down projection has 1024). */
    static final int DEFAULT_COLS = 2048;
    /** Warm-up before the measured rounds: rounds until this much time has passed. */
    static final long WARMUP_NS = 2_000_000_000L;

    private KernelRateMain() {}

    public static void main(String[] args) throws Exception {
        String layout = "int4", json = null;
        int rows = 600_000, n = 1, rounds = 9, colsArg = DEFAULT_COLS;
        boolean split = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--layout" -> layout = args[++i];
                case "--rows" -> rows = Integer.parseInt(args[++i]);
                case "--cols" -> colsArg = Integer.parseInt(args[++i]);
                case "--tokens" -> n = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--split" -> split = true;
                case "--json" -> json = args[++i];
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (--layout int4|int8|int2|bf16|read, --rows N, --cols N (a multiple of 128), --tokens N, --rounds R, --split, --json FILE)");
            }
        }
        if (colsArg <= 0 || colsArg % 128 != 0) throw new IllegalArgumentException("--cols: a positive multiple of 128, found " + colsArg);
        final int cols = colsArg;
        SplittableRandom rnd = new SplittableRandom(rows);
        float[] x = new float[n * cols], y = new float[n * rows];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        Call call;
        String kernel;
        Arena shared = Arena.ofShared();
        // the matrix in the pages the engine's weights get: 2 MiB where granted (HugePages; run with
        // --enable-native-access=ALL-UNNAMED), which a pass from memory reads faster than 4 KiB ones
        Arena arena = new Arena() {
            @Override
            public MemorySegment allocate(long size, long align) {
                return HugePages.allocate(shared, size, align);
            }

            @Override
            public MemorySegment.Scope scope() {
                return shared.scope();
            }

            @Override
            public void close() {
                shared.close();
            }
        };
        long weightBytes;
        if (layout.equals("read")) {
            MemorySegment m = arena.allocate(2L * rows * cols, 4096);
            m.fill((byte) 1);
            long rowBytes = 2L * cols;
            float[] sink = new float[1];
            call = (r0, r1) -> sink[0] += StreamRead.sumRange(m, r0 * rowBytes, r1 * rowBytes);
            kernel = "plain read";
            weightBytes = m.byteSize();
        } else if (layout.equals("bf16")) {
            MemorySegment m = arena.allocate(2L * rows * cols, 4096);
            for (long i = 0; i < m.byteSize() / 2; i++) m.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Halfs.floatToBf16((float) rnd.nextGaussian()));
            Matrix w = new Matrix("w", m, DType.BF16, rows, cols);
            final int tokens = n;
            call = (r0, r1) -> Kernels.dense().matmul(w, x, tokens, y, r0, r1);
            kernel = Kernels.dense().name();
            weightBytes = m.byteSize();
        } else {
            int bits = switch (layout) {
                case "int8" -> 8;
                case "int4" -> 4;
                case "int2" -> 2;
                default -> throw new IllegalArgumentException("--layout: int8, int4, int2, bf16 or read, found " + layout);
            };
            QuantFormat f = new QuantFormat(bits, 64);
            QuantizedMatrix q = RandomQuantized.matrix(arena, f, rows, cols, rnd);
            final int tokens = n;
            call = (r0, r1) -> Kernels.quant().matmul(q, x, tokens, y, r0, r1);
            kernel = Kernels.quant().name();
            weightBytes = q.data().byteSize();
        }
        final int allRows = rows;
        Runnable once = split ? () -> Parallel.forRange(allRows, 64, call::run) : () -> call.run(0, allRows);
        int reps = Math.max(1, (int) (400_000_000L / ((long) n * rows * cols)));
        // Warm-up: rounds until WARMUP_NS have passed (at least one). A single round did not do: a memory-sized matrix
        // split over two threads took about eight rounds of one call each to reach its steady rate, and one thread three.
        long warmStart = System.nanoTime();
        int warmRounds = 0;
        do {
            for (int rep = 0; rep < reps; rep++) once.run();
            warmRounds++;
        } while (System.nanoTime() - warmStart < WARMUP_NS);
        double warmSeconds = (System.nanoTime() - warmStart) / 1e9;
        double[] rate = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            long t0 = System.nanoTime();
            for (int rep = 0; rep < reps; rep++) once.run();
            rate[round] = (double) n * reps * rows * cols / (System.nanoTime() - t0);
        }
        double median = PairedCpuTimeMain.median(rate);
        double[] sorted = rate.clone();
        Arrays.sort(sorted);
        // one call streams the matrix's bytes once whatever n: bytes per multiply-add of one token
        double bytesPerMac = (double) weightBytes / ((long) rows * cols), gbPerS = median / n * bytesPerMac;
        System.out.printf("%s %s [%d, %d] x %d tokens, %s: median %.2f G %s/s (%.2f .. %.2f), %.2f GB/s of weights%n", kernel,
                layout, rows, cols, n, split ? Parallel.threads() + " threads" : "one thread", median,
                layout.equals("read") ? "bf16 elements" : "multiply-adds", sorted[0], sorted[rounds - 1], gbPerS);
        if (json != null) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("command", "java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp \"bench/target/classes:bench/target/lib/*\" "
                    + "io.strata.bench.kernels.KernelRateMain " + String.join(" ", args));
            o.put("machine", Runtime.getRuntime().availableProcessors() + " cpus, " + System.getProperty("os.arch"));
            o.put("date", Instant.now().toString());
            o.put("kernel", kernel);
            o.put("layout", layout);
            o.put("matrix", "[" + rows + ", " + cols + "]");
            o.put("tokens", n);
            o.put("threads", split ? Parallel.threads() : 1);
            o.put("gmac_per_s_median", median);
            o.put("gmac_per_s_per_round", rate);
            o.put("warmup_rounds", warmRounds);
            o.put("warmup_seconds", warmSeconds);
            o.put("weight_bytes", weightBytes);
            o.put("weight_gb_per_s_median", gbPerS);
            o.put("pages", HugePages.status());
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(new File(json), o);
        }
    }

    private interface Call {
        void run(int r0, int r1);
    }
}
