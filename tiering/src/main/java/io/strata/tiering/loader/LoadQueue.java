// The loader threads and their queue: demand reads before prefetch reads, first come first served within a class.
package io.strata.tiering.loader;

import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fixed pool of platform threads over a priority queue. A queued task can be withdrawn ({@link #remove}) or moved to
 * another class by withdrawing it and submitting a new one; the caller makes a task that lost such a race harmless
 * (it claims its work before doing it). A task under way is never interrupted, except by {@link #close()}.
 */
public final class LoadQueue implements AutoCloseable {
    /** Classes, served in this order. */
    public static final int DEMAND = 0, PREFETCH = 1;

    /** A queued read. */
    public static final class Task implements Runnable, Comparable<Task> {
        private final Runnable work;
        private final int priority;
        private final long seq;

        private Task(Runnable work, int priority, long seq) {
            this.work = work;
            this.priority = priority;
            this.seq = seq;
        }

        public int priority() {
            return priority;
        }

        @Override
        public int compareTo(Task o) {
            return priority != o.priority ? Integer.compare(priority, o.priority) : Long.compare(seq, o.seq);
        }

        @Override
        public void run() {
            work.run();
        }
    }

    private final ThreadPoolExecutor pool;
    private final AtomicLong seq = new AtomicLong();

    public LoadQueue(int threads, String namePrefix) {
        AtomicInteger n = new AtomicInteger();
        pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new PriorityBlockingQueue<>(), r -> {
            Thread t = new Thread(r, namePrefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Queues {@code work} in class {@code priority}; returns the task (for {@link #remove}). */
    public Task submit(Runnable work, int priority) {
        Task t = new Task(work, priority, seq.incrementAndGet());
        pool.execute(t);
        return t;
    }

    /** Withdraws a task that has not started; true if it was still queued. */
    public boolean remove(Task t) {
        return pool.remove(t);
    }

    /** Stops the threads, interrupting reads under way, and waits up to 30 s for them to end. */
    @Override
    public void close() {
        pool.shutdownNow();
        try {
            pool.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }
}
