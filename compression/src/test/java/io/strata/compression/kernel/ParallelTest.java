package io.strata.compression.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The hand-off to the spinning workers: coverage, chunk bounds, errors, chunks taken back, concurrent and nested callers. */
class ParallelTest {

    /** The chunk bounds forRange promises: parts = min(threads, n / minChunk), split as n·p/parts. */
    private static List<int[]> expectedChunks(int n, int minChunk, int threads) {
        int parts = Math.min(threads, Math.max(1, n / Math.max(1, minChunk)));
        List<int[]> c = new ArrayList<>();
        for (int p = 0; p < parts; p++) c.add(new int[] {(int) ((long) n * p / parts), (int) ((long) n * (p + 1) / parts)});
        return c;
    }

    @Test
    void everyIndexOnceInTheDocumentedChunks() {
        for (int n : new int[] {0, 1, 7, 64, 127, 128, 1000, 4099}) {
            for (int minChunk : new int[] {1, 4, 64}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(1, n));
                Set<String> chunks = ConcurrentHashMap.newKeySet();
                Parallel.forRange(n, minChunk, (a, b) -> {
                    chunks.add(a + ".." + b);
                    for (int i = a; i < b; i++) hits.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "index " + i + " of " + n);
                Set<String> want = new java.util.HashSet<>();
                for (int[] c : expectedChunks(n, minChunk, Parallel.threads())) want.add(c[0] + ".." + c[1]);
                assertEquals(want, chunks, "n=" + n + " minChunk=" + minChunk);
            }
        }
    }

    @Test
    void aFailingChunkThrowsToTheCallerAndTheWorkersStayUsable() {
        int n = 1000;
        RuntimeException boom = new IllegalStateException("boom");
        // the last chunk runs on a worker when there is one, the first on the caller: fail each in turn
        for (int failAt : new int[] {0, n - 1}) {
            RuntimeException thrown = assertThrows(RuntimeException.class, () -> Parallel.forRange(n, 1, (a, b) -> {
                if (failAt >= a && failAt < b) throw boom;
            }));
            assertSame(boom, thrown);
        }
        AtomicIntegerArray hits = new AtomicIntegerArray(n);
        Parallel.forRange(n, 1, (a, b) -> {
            for (int i = a; i < b; i++) hits.incrementAndGet(i);
        });
        for (int i = 0; i < n; i++) assertEquals(1, hits.get(i));
    }

    @Test
    void concurrentAndNestedCallersAllComplete() throws Exception {
        int callers = 4, rounds = 2000, n = 256;
        long[] totals = new long[callers];
        Thread[] ts = new Thread[callers];
        Throwable[] failed = new Throwable[1];
        for (int k = 0; k < callers; k++) {
            int id = k;
            ts[k] = Thread.ofPlatform().start(() -> {
                try {
                    for (int r = 0; r < rounds; r++) {
                        long[] part = new long[n];
                        Parallel.forRange(n, 8, (a, b) -> {
                            for (int i = a; i < b; i++) {
                                long[] inner = new long[1];
                                int row = i;
                                // a nested call (from a worker or a caller) must not wait on the workers it occupies
                                Parallel.forRange(4, 1, (c, d) -> {
                                    synchronized (inner) {
                                        for (int j = c; j < d; j++) inner[0] += row + j;
                                    }
                                });
                                part[i] = inner[0];
                            }
                        });
                        long s = 0;
                        for (long v : part) s += v;
                        totals[id] += s;
                    }
                } catch (Throwable t) {
                    failed[0] = t;
                }
            });
        }
        for (Thread t : ts) t.join(120_000);
        if (failed[0] != null) throw new AssertionError(failed[0]);
        long perRound = 0;
        for (int i = 0; i < n; i++) perRound += 4L * i + 6;
        for (int k = 0; k < callers; k++) {
            assertTrue(!ts[k].isAlive(), "caller " + k + " did not finish");
            assertEquals(perRound * rounds, totals[k], "caller " + k);
        }
    }

    /**
     * Calls spaced by pauses on either side of the workers' spin, so that each chunk is raced for by a worker that is
     * spinning, parking, waking or parked and by the caller taking it back: every index still runs exactly once per
     * call, in the documented chunks, and a failure in a chunk the caller took back still reaches the caller.
     */
    @Test
    void chunksRacedForByWakingWorkersAndTheCallerRunOnce() {
        int n = 64;
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        for (int round = 0; round < 600; round++) {
            long pause = switch (round % 4) {
                case 0 -> 0;
                case 1 -> 20_000 + rnd.nextInt(100_000);
                case 2 -> 90_000 + rnd.nextInt(30_000); // about when a worker's spin ends
                default -> 300_000 + rnd.nextInt(700_000);
            };
            if (pause > 0) java.util.concurrent.locks.LockSupport.parkNanos(pause);
            AtomicIntegerArray hits = new AtomicIntegerArray(n);
            Set<String> chunks = ConcurrentHashMap.newKeySet();
            int failAt = round % 5 == 0 ? n - 1 : -1; // in the last chunk: a worker's, or the caller's when taken back
            Runnable call = () -> Parallel.forRange(n, 1, (a, b) -> {
                chunks.add(a + ".." + b);
                for (int i = a; i < b; i++) hits.incrementAndGet(i);
                if (failAt >= a && failAt < b) throw new IllegalStateException("chunk " + a + ".." + b);
            });
            if (failAt >= 0) {
                assertThrows(IllegalStateException.class, call::run, "round " + round);
            } else {
                call.run();
            }
            for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "round " + round + ", index " + i);
            Set<String> want = new java.util.HashSet<>();
            for (int[] c : expectedChunks(n, 1, Parallel.threads())) want.add(c[0] + ".." + c[1]);
            assertEquals(want, chunks, "round " + round);
        }
    }

    @Test
    void withThreadsOneRunsOnTheCallingThread() {
        Thread me = Thread.currentThread();
        Set<Thread> seen = ConcurrentHashMap.newKeySet();
        Parallel.withThreads(1, () -> Parallel.forRange(10_000, 1, (a, b) -> seen.add(Thread.currentThread())));
        assertEquals(Set.of(me), seen);
    }
}
