// Splits row ranges over a fixed set of platform worker threads (matrix-vector work is row-parallel).
package io.strata.compression.kernel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Row-parallel execution; the thread count defaults to the available processors ({@code -Dstrata.threads}).
 *
 * <p>A decode step is a few hundred short products (a tiny model's are ~10 µs each), so the hand-off is on the critical
 * path. The workers are persistent threads woken through a volatile generation counter and {@code LockSupport}; the
 * caller runs the first chunk itself and spins briefly for the others. On the 2-core VM a two-way split costs 3.7 µs
 * this way against 15 µs through an executor's queue and futures. After each task a worker spins on the counter for
 * 100 µs before it parks ({@code -Dstrata.spinMicros}, 0 parks at once): the next product of a step follows within
 * microseconds, and waking a parked worker is what a tiny model's step waited for. tiny-moe decoded 1.0–1.3x faster
 * with the spin (interleaved runs: 912, 935, 685 against 711, 718, 686 tokens/s), while an SSD-bound decode, whose
 * loader threads share the two cores, did not slow down (tiny-moe at a quarter of its experts 197–246 against
 * 201–223 tokens/s; the OLMoE-shaped store 5.42–5.64 against 5.09–5.52). A longer spin takes a core from the
 * loaders for longer: with 200 µs an SSD-bound tiny-moe once ran at half speed. Yielding instead of spinning was
 * slower (775, 701, 512 tokens/s in the same rounds).
 *
 * <p>A worker that has not started its chunk by the time the caller finished its own gives it back: the caller claims
 * it (one compare-and-set per chunk decides between the two) and runs it itself. Waking a parked worker on the 2-core
 * VM takes 40–70 µs, several times a tiny model's chunk, and a worker parks whenever the step waited longer than its
 * spin (an expert read from the SSD, a pause between requests). With the claim, the first expert computed after a
 * 1 ms pause took 25–38 µs against 42–70 µs (a single thread: 15–18 µs); tiny-moe decoded 586 against 280 tokens/s
 * with every expert in memory and 133 against 85 at a 2 MiB host budget (medians of five interleaved rounds,
 * bench/results/cpu-speed/claim-back/). A worker that is running claims its chunk within nanoseconds of the post,
 * so the long chunks of a large model still split.
 *
 * <p>One caller at a time uses the workers; a call made while another thread holds them, or from a worker itself,
 * runs inline on the calling thread. Which thread computes a row never changes the row's result: every kernel
 * reduces a row in a fixed order on one thread.
 */
public final class Parallel {
    public interface RangeBody {
        void run(int from, int to);
    }

    private static final int THREADS = Math.max(1, Integer.getInteger("strata.threads", Runtime.getRuntime().availableProcessors()));
    private static final long SPIN_NS = Math.max(0, Long.getLong("strata.spinMicros", 100)) * 1000;
    private static final Worker[] WORKERS = new Worker[THREADS - 1];
    private static final AtomicBoolean BUSY = new AtomicBoolean();
    private static final ThreadLocal<Integer> CAP = new ThreadLocal<>();

    static {
        for (int i = 0; i < WORKERS.length; i++) {
            WORKERS[i] = new Worker("strata-cpu-" + (i + 1));
            WORKERS[i].start();
        }
    }

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
     * Runs body over [0, n) in up to {@link #threads()} contiguous chunks, the calling thread taking the first. Small
     * ranges (below minChunk per thread) run inline. The chunk bounds depend only on n, minChunk and the thread cap.
     */
    public static void forRange(int n, int minChunk, RangeBody body) {
        Integer cap = CAP.get();
        int parts = Math.min(cap == null ? THREADS : Math.min(cap, THREADS), Math.max(1, n / Math.max(1, minChunk)));
        if (parts <= 1 || Thread.currentThread() instanceof Worker || !BUSY.compareAndSet(false, true)) {
            if (parts <= 1) {
                body.run(0, n);
            } else { // the same chunks, one after another: another caller holds the workers
                for (int p = 0; p < parts; p++) body.run(bound(n, p, parts), bound(n, p + 1, parts));
            }
            return;
        }
        try {
            for (int p = 1; p < parts; p++) {
                WORKERS[p - 1].post(body, bound(n, p, parts), bound(n, p + 1, parts));
            }
            Throwable failed = null;
            try {
                body.run(0, bound(n, 1, parts));
            } catch (Throwable t) {
                failed = t;
            }
            for (int p = 1; p < parts; p++) {
                Worker w = WORKERS[p - 1];
                Throwable t;
                if (w.claim()) { // not started: the worker is parked or descheduled, and waking it costs more than the chunk
                    t = null;
                    try {
                        body.run(bound(n, p, parts), bound(n, p + 1, parts));
                    } catch (Throwable e) {
                        t = e;
                    }
                    w.body = null;
                } else {
                    t = w.await();
                }
                if (failed == null) failed = t;
            }
            if (failed instanceof RuntimeException re) throw re;
            if (failed instanceof Error er) throw er;
            if (failed != null) throw new RuntimeException(failed);
        } finally {
            BUSY.set(false);
        }
    }

    /** Where chunk p of [0, n) in {@code parts} chunks starts (chunk p ends where p + 1 starts): n·p / parts. */
    private static int bound(int n, int p, int parts) {
        return (int) ((long) n * p / parts);
    }

    /** A persistent worker: one task at a time, handed over through volatile generation counters. */
    private static final class Worker extends Thread {
        private static final VarHandle CLAIMED;

        static {
            try {
                CLAIMED = MethodHandles.lookup().findVarHandle(Worker.class, "claimed", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private volatile long posted; // the generation of the last task handed over
        private volatile long done;   // the generation of the last task finished
        private volatile long claimed; // the generation of the last task taken, by this worker or by the caller
        private volatile boolean parked;
        private volatile Thread waiter;
        private RangeBody body;       // plain fields published by the volatile write of posted
        private int from, to;
        private Throwable error;

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        void post(RangeBody b, int from, int to) {
            this.body = b;
            this.from = from;
            this.to = to;
            this.error = null;
            posted = posted + 1; // one poster at a time (BUSY)
            if (parked) LockSupport.unpark(this);
        }

        /**
         * Takes the last posted task back for the caller if this worker has not started it; true if taken (the worker
         * skips it). One of the two wins each generation.
         */
        boolean claim() {
            long g = posted;
            return CLAIMED.compareAndSet(this, g - 1, g);
        }

        /** Waits for the last posted task; its exception or null. */
        Throwable await() {
            long g = posted;
            if (done != g) {
                long until = System.nanoTime() + Math.max(SPIN_NS, 50_000);
                while (done != g && System.nanoTime() < until) Thread.onSpinWait();
                if (done != g) { // a descheduled worker (a loaded machine): stop spinning, let it run
                    waiter = Thread.currentThread();
                    while (done != g) LockSupport.parkNanos(this, 100_000);
                    waiter = null;
                }
            }
            Throwable e = error;
            body = null;
            return e;
        }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                long g;
                long until = System.nanoTime() + SPIN_NS;
                while ((g = posted) == seen) {
                    if (SPIN_NS > 0 && System.nanoTime() < until) {
                        Thread.onSpinWait();
                    } else {
                        parked = true;
                        if (posted == seen) LockSupport.park(this);
                        parked = false;
                    }
                }
                seen = g;
                if (!CLAIMED.compareAndSet(this, g - 1, g)) continue; // the caller took it back
                try {
                    body.run(from, to);
                } catch (Throwable t) {
                    error = t;
                }
                done = g;
                Thread w = waiter;
                if (w != null) LockSupport.unpark(w);
            }
        }
    }
}
