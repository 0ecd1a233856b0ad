// Splits row ranges over a fixed pool of platform threads (matrix-vector work is row-parallel).
package io.strata.compression.kernel;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/** Row-parallel execution; the thread count defaults to the available processors ({@code -Dstrata.threads}). */
public final class Parallel {
    public interface RangeBody {
        void run(int from, int to);
    }

    private static final String POOL_PREFIX = "strata-cpu-";
    private static final AtomicInteger COUNT = new AtomicInteger();
    private static final int THREADS = Integer.getInteger("strata.threads", Runtime.getRuntime().availableProcessors());
    private static final ExecutorService POOL = Executors.newFixedThreadPool(Math.max(1, THREADS - 1), r -> {
        Thread t = new Thread(r, POOL_PREFIX + COUNT.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    private static final ThreadLocal<Integer> CAP = new ThreadLocal<>();

    private Parallel() {}

    public static int threads() {
        return THREADS;
    }

    /**
     * Runs body with its {@link #forRange} calls (made on this thread) split over at most {@code k} threads: how a
     * calibration measures a kernel at 1, 2, .. N threads in one process.
     */
    public static void withThreads(int k, Runnable body) {
        Integer before = CAP.get();
        CAP.set(Math.max(1, k));
        try {
            body.run();
        } finally {
            if (before == null) CAP.remove();
            else CAP.set(before);
        }
    }

    /**
     * Runs body over [0, n) in up to {@link #threads()} contiguous chunks, the calling thread
     * taking the first. Small ranges (below minChunk per thread) run inline.
     */
    public static void forRange(int n, int minChunk, RangeBody body) {
        Integer cap = CAP.get();
        int parts = Math.min(cap == null ? THREADS : Math.min(cap, THREADS), Math.max(1, n / Math.max(1, minChunk)));
        // A call from one of our own pool threads runs inline: waiting on tasks queued behind
        // itself in the fixed pool could deadlock.
        if (parts <= 1 || Thread.currentThread().getName().startsWith(POOL_PREFIX)) {
            body.run(0, n);
            return;
        }
        Future<?>[] fs = new Future<?>[parts - 1];
        for (int p = 1; p < parts; p++) {
            int from = (int) ((long) n * p / parts), to = (int) ((long) n * (p + 1) / parts);
            fs[p - 1] = POOL.submit(() -> body.run(from, to));
        }
        body.run(0, (int) ((long) n / parts));
        for (Future<?> f : fs) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof RuntimeException re) throw re;
                if (c instanceof Error er) throw er;
                throw new RuntimeException(c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RuntimeException(e);
            }
        }
    }
}
