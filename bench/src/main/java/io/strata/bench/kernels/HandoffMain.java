// The cost of handing row-parallel work to the other threads: Parallel.forRange against an executor's queue and futures.
package io.strata.bench.kernels;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strata.compression.kernel.Parallel;
import java.io.File;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Microseconds per split of a trivial range body over all threads, interleaved by round: {@link Parallel#forRange}
 * (persistent workers; spinning per {@code -Dstrata.spinMicros}) and the executor-based hand-off it replaced (a fixed
 * pool, one future per chunk, {@code Future.get}). The body sums 128 floats, so the figure is the hand-off itself: what
 * a decode step pays per matrix product on top of the product.
 *
 * <pre>java -cp "bench/target/classes:bench/target/lib/*" io.strata.bench.kernels.HandoffMain [--calls 200000] [--rounds 7] [--json F]</pre>
 */
public final class HandoffMain {
    private static volatile float sink;

    private HandoffMain() {}

    public static void main(String[] args) throws Exception {
        int calls = 200_000, rounds = 7;
        String json = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--calls" -> calls = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--json" -> json = args[++i];
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--calls N, --rounds N, --json FILE)");
            }
        }
        int threads = Parallel.threads();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads - 1), r -> {
            Thread t = new Thread(r, "handoff-baseline");
            t.setDaemon(true);
            return t;
        });
        float[] x = new float[128];
        Arrays.fill(x, 1f);
        Parallel.RangeBody body = (a, b) -> {
            float s = 0;
            for (int r = a; r < b; r++) s += x[r];
            sink = s;
        };
        List<Double> workers = new ArrayList<>(), executor = new ArrayList<>();
        for (int round = 0; round < rounds + 1; round++) { // round 0 warms both up and is not kept
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) Parallel.forRange(x.length, 1, body);
            long t1 = System.nanoTime();
            for (int i = 0; i < calls; i++) executorForRange(pool, threads, x.length, body);
            long t2 = System.nanoTime();
            if (round > 0) {
                workers.add((t1 - t0) / 1e3 / calls);
                executor.add((t2 - t1) / 1e3 / calls);
            }
        }
        double w = median(workers), e = median(executor);
        System.out.printf("threads %d, spinMicros %s: Parallel.forRange %.2f us per split, executor %.2f us (%.1fx)%n",
                threads, System.getProperty("strata.spinMicros", "100"), w, e, e / w);
        if (json != null) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("date", Instant.now().toString());
            o.put("threads", threads);
            o.put("spin_micros", Long.getLong("strata.spinMicros", 100));
            o.put("calls_per_round", calls);
            o.put("parallel_us_per_split", workers);
            o.put("executor_us_per_split", executor);
            o.put("median_parallel_us", w);
            o.put("median_executor_us", e);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(new File(json), o);
        }
    }

    /** The hand-off Parallel used before: chunks 1.. on a fixed pool, chunk 0 on the caller, then Future.get on each. */
    static void executorForRange(ExecutorService pool, int threads, int n, Parallel.RangeBody body) throws Exception {
        int parts = Math.max(1, Math.min(threads, n));
        Future<?>[] fs = new Future<?>[parts - 1];
        for (int p = 1; p < parts; p++) {
            int from = (int) ((long) n * p / parts), to = (int) ((long) n * (p + 1) / parts);
            fs[p - 1] = pool.submit(() -> body.run(from, to));
        }
        body.run(0, n / parts);
        for (Future<?> f : fs) f.get();
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        return s.get(s.size() / 2);
    }
}
