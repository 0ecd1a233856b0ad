// The tiered store against hand-traced tier movements, concurrency, prefetch, budgets and corrupt blobs.
package io.strata.tiering;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.tiering.policy.EvictionPolicy;
import io.strata.tiering.policy.LruPolicy;
import io.strata.tiering.stats.StoreStats;
import io.strata.tiering.store.PackedStore;
import io.strata.tiering.store.StoreException;
import io.strata.tiering.store.StoreTestData;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TieredExpertStoreTest {
    static final int L = 2, E = 8, H = 24, I = 40;
    static final long SLOT = 3 * 4096; // one expert region

    @TempDir
    Path dir;
    Path storeDir;

    @BeforeEach
    void pack() {
        storeDir = StoreTestData.write(dir.resolve("store"), L, E, H, I);
    }

    private TieredExpertStore.Builder builder(long hostSlots, long fastSlots) {
        return TieredExpertStore.builder(storeDir).hostBudget(hostSlots * SLOT + 100).fastBudget(fastSlots * SLOT).topK(2);
    }

    private static Tier get(ExpertStore s, int l, int e) {
        try (ExpertHandle h = s.acquire(l, e)) {
            StoreTestData.check(h.weights(), l, e);
            assertEquals(new ExpertKey(l, e), h.key());
            return h.servedFrom();
        }
    }

    @Test
    void tiersMoveAsHandTraced() {
        try (TieredExpertStore s = builder(3, 2).policy("lru").build()) {
            assertEquals(3, s.hostSlots());
            assertEquals(2, s.fastCapacity());
            assertTrue(s.hostAllocatedBytes() <= 3 * SLOT + 100);
            assertEquals(Tier.SSD, get(s, 0, 0));  // host {0}       fast {0}
            assertEquals(Tier.SSD, get(s, 0, 1));  // host {0,1}     fast {0,1}
            assertEquals(Tier.SSD, get(s, 0, 2));  // host {0,1,2}   fast {1,2} (LRU 0 leaves fast)
            assertEquals(Tier.HOST, get(s, 0, 0)); // host hit;      fast {2,0} (LRU 1 leaves)
            assertEquals(Tier.SSD, get(s, 0, 3));  // host drops 1 (only non-fast); fast {0,3}
            assertEquals(Tier.FAST, get(s, 0, 3));
            assertEquals(Tier.FAST, get(s, 0, 0));
            assertEquals(Tier.HOST, get(s, 0, 2)); // fast {3,2}... LRU among {0,3}: 3 older than 0
            assertEquals(Tier.SSD, get(s, 0, 1));
            StoreStats st = s.stats();
            assertEquals(9, st.acquires());
            assertEquals(5, st.served(Tier.SSD));
            assertEquals(2, st.served(Tier.HOST));
            assertEquals(2, st.served(Tier.FAST));
            assertEquals(5 * SLOT, st.ssdBytesRead());
            assertEquals(2, st.hostEvictions());
            assertEquals(7, st.fastMisses());
            assertTrue(st.toTable().contains("SSD"));
            assertEquals(5, st.toJson().path("tiers").path("ssd").path("served").asLong());
        }
    }

    @Test
    void budgetsTooSmallForTopKAreRefusedWithTheMinimum() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TieredExpertStore.builder(storeDir).hostBudget(SLOT + 4095).topK(2).build());
        assertTrue(e.getMessage().contains("at least " + 2 * SLOT + " bytes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TieredExpertStore.builder(storeDir).hostBudget("1MiB").fastBudget(SLOT).topK(2).build());
        assertTrue(e.getMessage().contains("fast budget") && e.getMessage().contains("at least " + 2 * SLOT), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TieredExpertStore.builder(storeDir).hostBudget("1MiB").policy("belady").build());
        assertTrue(e.getMessage().contains("trace replay"), e.getMessage());
    }

    @Test
    void perLayerCapacityKeepsLayersApart() {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> builder(3, 3).perLayer(true).build()); // 2 layers x top-2 need 4 slots
        assertTrue(ex.getMessage().contains("each of 2 layers needs at least " + 4 * SLOT), ex.getMessage());
        try (TieredExpertStore s = builder(4, 4).perLayer(true).policy("lru").build()) {
            assertEquals(2, s.fastCapacity());
            assertEquals(Tier.SSD, get(s, 0, 0));
            assertEquals(Tier.SSD, get(s, 0, 1));
            // Layer 1 fills its own two slots; layer 0's experts stay.
            for (int e = 0; e < E; e++) {
                assertEquals(Tier.SSD, get(s, 1, e));
            }
            assertEquals(Tier.FAST, get(s, 0, 0));
            assertEquals(Tier.FAST, get(s, 0, 1));
            assertEquals(Tier.SSD, get(s, 0, 2)); // evicts layer 0's LRU (expert 0)
            assertEquals(Tier.SSD, get(s, 0, 0));
        }
        // The same sequence with one shared pool of 4: layer 1's scan evicts layer 0.
        try (TieredExpertStore s = builder(4, 4).policy("lru").build()) {
            get(s, 0, 0);
            get(s, 0, 1);
            for (int e = 0; e < E; e++) {
                get(s, 1, e);
            }
            assertEquals(Tier.SSD, get(s, 0, 0));
        }
    }

    @Test
    void concurrentAcquiresOfOneExpertShareOneRead() throws Exception {
        try (TieredExpertStore s = builder(4, 2).loaderThreads(2).build()) {
            int n = 8;
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(n);
            List<Future<Tier>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(pool.submit(() -> {
                    go.await();
                    return get(s, 1, 5);
                }));
            }
            go.countDown();
            for (Future<Tier> f : fs) {
                f.get(30, TimeUnit.SECONDS);
            }
            pool.shutdown();
            StoreStats st = s.stats();
            assertEquals(1, st.ssdReads(), "one read for " + n + " concurrent acquires");
            assertEquals(n, st.acquires());
            assertEquals(st.served(Tier.SSD) - 1, st.joinedLoads());
        }
    }

    @Test
    void manyThreadsRandomAcquiresStayCorrectWithinBudget() throws Exception {
        try (TieredExpertStore s = builder(5, 3).policy("lfu").loaderThreads(2).build()) {
            ExecutorService pool = Executors.newFixedThreadPool(6);
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                long seed = t;
                fs.add(pool.submit(() -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    for (int i = 0; i < 300; i++) {
                        int l = r.nextInt(L), e = r.nextInt(E);
                        if (r.nextInt(4) == 0) {
                            s.prefetch(r.nextInt(L), r.nextInt(E));
                        }
                        get(s, l, e);
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(120, TimeUnit.SECONDS);
            }
            pool.shutdown();
            StoreStats st = s.stats();
            assertEquals(1800, st.acquires());
            assertEquals(0, st.loadFailures());
            assertTrue(s.hostAllocatedBytes() <= 5 * SLOT + 100);
            assertEquals(st.ssdReads() * SLOT, st.ssdBytesRead());
        }
    }

    @Test
    void pinnedExpertsAreNeverEvictedAndAcquireWaitsForARelease() throws Exception {
        try (TieredExpertStore s = builder(2, 2).build()) {
            ExpertHandle a = s.acquire(0, 0);
            ExpertHandle b = s.acquire(0, 1);
            s.prefetch(0, 2); // no slot: both pinned
            assertEquals(0, s.stats().prefetchIssued());
            ExecutorService pool = Executors.newSingleThreadExecutor();
            Future<Tier> third = pool.submit(() -> get(s, 1, 7));
            assertThrows(TimeoutException.class, () -> third.get(300, TimeUnit.MILLISECONDS));
            StoreTestData.check(a.weights(), 0, 0);
            a.close();
            assertEquals(Tier.SSD, third.get(30, TimeUnit.SECONDS));
            StoreTestData.check(b.weights(), 0, 1); // b stayed resident through the churn
            assertEquals(Tier.FAST, b.servedFrom() == Tier.SSD ? get(s, 0, 1) : Tier.FAST);
            b.close();
            assertThrows(IllegalStateException.class, b::weights);
            pool.shutdown();
        }
    }

    @Test
    void prefetchedExpertIsAHostHit() throws Exception {
        try (TieredExpertStore s = builder(4, 2).build()) {
            s.prefetch(1, 3);
            s.prefetch(1, 3); // deduplicated
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (s.stats().ssdReads() < 1 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(Tier.HOST, get(s, 1, 3));
            StoreStats st = s.stats();
            assertEquals(1, st.prefetchIssued());
            assertEquals(1, st.prefetchUseful());
            assertEquals(1, st.ssdReads());
        }
    }

    @Test
    void prefetchAheadOfAScanReadsEachExpertOnce() {
        try (TieredExpertStore s = builder(6, 6).policy("lru").build()) {
            for (int i = 0; i < L * E; i++) {
                for (int d = 1; d <= 3 && i + d < L * E; d++) {
                    s.prefetch((i + d) / E, (i + d) % E);
                }
                get(s, i / E, i % E);
            }
            StoreStats st = s.stats();
            assertEquals(L * E, st.ssdReads(), "no prefetched expert evicted before its use");
            assertEquals(L * E - 1, st.prefetchIssued());
            assertEquals(L * E - 1, st.prefetchUseful());
        }
    }

    @Test
    void corruptBlobFailsTheAcquireAndIsNeverServed() throws Exception {
        long off;
        try (PackedStore p = PackedStore.open(storeDir)) {
            off = p.expert(1, 2).offset() + 123;
        }
        try (RandomAccessFile f = new RandomAccessFile(storeDir.resolve("experts-001.bin").toFile(), "rw")) {
            f.seek(off);
            int b = f.read();
            f.seek(off);
            f.write(b ^ 1);
        }
        try (TieredExpertStore s = builder(2, 2).build()) {
            for (int attempt = 0; attempt < 2; attempt++) {
                StoreException e = assertThrows(StoreException.class, () -> s.acquire(1, 2));
                assertTrue(e.getMessage().contains("layer 1 expert 2") && e.getMessage().contains("experts-001.bin")
                        && e.getMessage().contains("CRC32C mismatch"), e.getMessage());
            }
            // The failed loads freed their slots: the two slots still serve two other experts.
            assertEquals(Tier.SSD, get(s, 1, 1));
            assertEquals(Tier.SSD, get(s, 1, 3));
            assertEquals(2, s.stats().loadFailures());
        }
    }

    @Test
    void bufferedAndDirectReadsServeTheSameBytes() {
        try (TieredExpertStore d = builder(2, 2).directIo(true).build();
             TieredExpertStore b = builder(2, 2).directIo(false).build()) {
            get(d, 0, 4);
            get(b, 0, 4);
            assertNotNull(b.readMode(0, 4), "buffered by request");
            String why = d.readMode(0, 4);
            System.out.println("direct I/O on " + storeDir + ": " + (why == null ? "yes" : "no, " + why));
        }
    }

    /**
     * One loader thread whose read of {@code held} waits until {@link #release}: while it waits, every other load
     * queues, so the tests see the queue order ({@link #reads}: keys in the order their reads started).
     */
    static final class HeldLoader {
        final ExpertKey held;
        final CountDownLatch reading = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<ExpertKey> reads = java.util.Collections.synchronizedList(new ArrayList<>());

        HeldLoader(int layer, int expert) {
            held = new ExpertKey(layer, expert);
        }

        void beforeRead(ExpertKey k) {
            reads.add(k);
            if (k.equals(held)) {
                reading.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Starts acquire(held) on another thread and returns once its read is under way (and held). */
    private static Future<Tier> holdTheLoader(ExpertStore s, HeldLoader h, ExecutorService pool) throws Exception {
        Future<Tier> f = pool.submit(() -> get(s, h.held.layer(), h.held.expert()));
        assertTrue(h.reading.await(10, TimeUnit.SECONDS), "read of " + h.held + " started");
        return f;
    }

    /** Waits (up to 10 s) until the store has completed n reads. */
    private static void awaitReads(TieredExpertStore s, long n) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (s.stats().ssdReads() < n && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        assertEquals(n, s.stats().ssdReads());
    }

    /** Blocks until some thread is waiting in acquire (its load queued), or fails after 10 s. */
    private static void awaitJoined(TieredExpertStore s, long joined) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (s.stats().joinedLoads() < joined && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        assertEquals(joined, s.stats().joinedLoads());
    }

    @Test
    void demandLoadsAreReadBeforeQueuedPrefetches() throws Exception {
        HeldLoader h = new HeldLoader(0, 0);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch inserted = new CountDownLatch(1); // (1,3) got its slot, under the store lock with its enqueue
        ExpertKey k13 = new ExpertKey(1, 3);
        java.util.function.Supplier<EvictionPolicy> host = () -> new EvictionPolicy() {
            final LruPolicy lru = new LruPolicy();

            public String name() {
                return "lru";
            }

            public void onAccess(ExpertKey key, long time) {
                lru.onAccess(key, time);
            }

            public void onInsert(ExpertKey key, long time) {
                lru.onInsert(key, time);
                if (key.equals(k13)) inserted.countDown();
            }

            public void onEvict(ExpertKey key) {
                lru.onEvict(key);
            }

            public ExpertKey chooseVictim(List<ExpertKey> candidates, long time) {
                return lru.chooseVictim(candidates, time);
            }
        };
        try (TieredExpertStore s = builder(6, 6).policies(host, LruPolicy::new).loaderThreads(1)
                .beforeRead(h::beforeRead).build()) {
            Future<Tier> first = holdTheLoader(s, h, pool);
            s.prefetch(1, 1);
            s.prefetch(1, 2);
            Future<Tier> demand = pool.submit(() -> get(s, 1, 3)); // queued after both prefetches
            assertTrue(inserted.await(10, TimeUnit.SECONDS), "the demand acquire took a slot and queued its read");
            h.release.countDown();
            assertEquals(Tier.SSD, first.get(10, TimeUnit.SECONDS));
            assertEquals(Tier.SSD, demand.get(10, TimeUnit.SECONDS));
            awaitReads(s, 4);
            assertEquals(List.of(new ExpertKey(0, 0), new ExpertKey(1, 3), new ExpertKey(1, 1), new ExpertKey(1, 2)), h.reads);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void demandAcquireOfAQueuedPrefetchMovesItAheadAndReadsItOnce() throws Exception {
        HeldLoader h = new HeldLoader(0, 0);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (TieredExpertStore s = builder(6, 6).loaderThreads(1).beforeRead(h::beforeRead).build()) {
            Future<Tier> first = holdTheLoader(s, h, pool);
            s.prefetch(1, 1);
            s.prefetch(1, 2);
            Future<Tier> demand = pool.submit(() -> get(s, 1, 2)); // joins the queued prefetch of (1, 2)
            awaitJoined(s, 1);
            h.release.countDown();
            assertEquals(Tier.SSD, first.get(10, TimeUnit.SECONDS));
            assertEquals(Tier.SSD, demand.get(10, TimeUnit.SECONDS)); // it waited for the read
            awaitReads(s, 3);
            assertEquals(List.of(new ExpertKey(0, 0), new ExpertKey(1, 2), new ExpertKey(1, 1)), h.reads);
            StoreStats st = s.stats();
            assertEquals(3, st.ssdReads(), "one read per expert");
            assertEquals(2, st.prefetchIssued());
            assertEquals(1, st.prefetchUseful());
            assertEquals(Tier.HOST, get(s, 1, 1));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void cancelledQueuedPrefetchIsNeverReadAndFreesItsSlot() throws Exception {
        HeldLoader h = new HeldLoader(0, 0);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        // 3 host slots: (0,0) reading, (1,1) and (1,2) queued: full.
        try (TieredExpertStore s = builder(3, 3).policy("lru").loaderThreads(1).beforeRead(h::beforeRead).build()) {
            Future<Tier> first = holdTheLoader(s, h, pool);
            s.prefetch(1, 1);
            s.prefetch(1, 2);
            s.prefetch(1, 3); // no slot: (0,0) is pinned and loading, the others are unused prefetches
            assertEquals(1, s.stats().prefetchDropped());
            s.cancelPrefetch(1, 1);
            s.cancelPrefetch(1, 1); // no longer pending: ignored
            s.prefetch(1, 3);       // takes the freed slot without an eviction
            h.release.countDown();
            assertEquals(Tier.SSD, first.get(10, TimeUnit.SECONDS));
            awaitReads(s, 3);
            assertEquals(List.of(new ExpertKey(0, 0), new ExpertKey(1, 2), new ExpertKey(1, 3)), h.reads);
            StoreStats st = s.stats();
            assertEquals(1, st.prefetchCancelled());
            assertEquals(3, st.prefetchIssued());
            assertEquals(0, st.hostEvictions());
            assertEquals(Tier.HOST, get(s, 1, 2));
            assertEquals(Tier.HOST, get(s, 1, 3));
            assertEquals(Tier.SSD, get(s, 1, 1)); // read now, on demand
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void cancelNeverTouchesAnExpertAnAcquireWaitsFor() throws Exception {
        HeldLoader h = new HeldLoader(0, 0);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (TieredExpertStore s = builder(4, 4).loaderThreads(1).beforeRead(h::beforeRead).build()) {
            Future<Tier> first = holdTheLoader(s, h, pool);
            s.prefetch(1, 1);
            Future<Tier> waiter = pool.submit(() -> get(s, 1, 1));
            awaitJoined(s, 1);
            s.cancelPrefetch(1, 1); // pinned by the waiting acquire: ignored
            h.release.countDown();
            assertEquals(Tier.SSD, first.get(10, TimeUnit.SECONDS));
            assertEquals(Tier.SSD, waiter.get(10, TimeUnit.SECONDS));
            assertEquals(0, s.stats().prefetchCancelled());
            assertEquals(2, s.stats().ssdReads());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void cancelledPrefetchThatWasReadLosesItsProtection() throws Exception {
        // 3 host slots, 3 fast, LRU. (0,0), (0,1) used (fast members); (0,2) prefetched and read, never used.
        try (TieredExpertStore s = builder(3, 3).policy("lru").build()) {
            get(s, 0, 0);
            get(s, 0, 1);
            s.prefetch(0, 2);
            awaitReads(s, 3);
            // Unused, (0,2) is evicted last: a demand miss takes the LRU fast member (0,0).
            assertEquals(Tier.SSD, get(s, 0, 3));
            assertEquals(Tier.HOST, get(s, 0, 2)); // host {1,2,3}; still there, now used
            assertEquals(Tier.SSD, get(s, 0, 0));
        }
        try (TieredExpertStore s = builder(3, 3).policy("lru").build()) {
            get(s, 0, 0);
            get(s, 0, 1);
            s.prefetch(0, 2);
            awaitReads(s, 3);
            s.cancelPrefetch(0, 2); // withdrawn after its read: an ordinary expert, not a fast member
            assertEquals(Tier.SSD, get(s, 0, 3)); // evicts (0,2), the only non-member
            assertEquals(Tier.FAST, get(s, 0, 0));
            assertEquals(Tier.SSD, get(s, 0, 2));
            assertEquals(0, s.stats().prefetchCancelled(), "read before it was withdrawn");
        }
    }

    @Test
    void prefetchNeverEvictsThePinnedExpertsOfTheCurrentLayer() throws Exception {
        // A decode step pins its top-2 of layer 0, then hints layer 1 (what MoeModel does before the prefetcher runs).
        try (TieredExpertStore s = builder(3, 3).policy("lru").build()) {
            get(s, 1, 7);                     // used earlier: the only evictable expert
            ExpertHandle a = s.acquire(0, 0);
            ExpertHandle b = s.acquire(0, 1);
            s.prefetch(1, 2);                 // evicts (1,7), not a pinned one
            s.prefetch(1, 3);                 // nothing evictable: dropped
            awaitReads(s, 4);
            StoreStats st = s.stats();
            assertEquals(1, st.hostEvictions());
            assertEquals(1, st.prefetchIssued());
            assertEquals(1, st.prefetchDropped());
            StoreTestData.check(a.weights(), 0, 0);
            StoreTestData.check(b.weights(), 0, 1);
            a.close();
            b.close();
            assertEquals(Tier.FAST, get(s, 0, 0));
            assertEquals(Tier.FAST, get(s, 0, 1));
            assertEquals(Tier.HOST, get(s, 1, 2));
        }
    }

    @Test
    void requestedExpertIsReadWithTheDemandsAndKeptFromPrefetchEviction() throws Exception {
        HeldLoader h = new HeldLoader(0, 0);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (TieredExpertStore s = builder(6, 6).loaderThreads(1).beforeRead(h::beforeRead).build()) {
            Future<Tier> first = holdTheLoader(s, h, pool);
            s.prefetch(1, 1);
            s.request(1, 2); // the current step's expert: read before the earlier hint
            h.release.countDown();
            assertEquals(Tier.SSD, first.get(10, TimeUnit.SECONDS));
            awaitReads(s, 3);
            assertEquals(List.of(new ExpertKey(0, 0), new ExpertKey(1, 2), new ExpertKey(1, 1)), h.reads);
            assertEquals(1, s.stats().prefetchIssued(), "a request is not a prefetch");
        } finally {
            pool.shutdownNow();
        }
        try (TieredExpertStore s = builder(2, 2).build()) {
            ExpertHandle a = s.acquire(0, 0);
            s.request(0, 1);
            awaitReads(s, 2);
            s.prefetch(1, 0); // (0,0) pinned, (0,1) requested: nothing a prefetch may evict
            s.cancelPrefetch(0, 1); // a request is not a hint: ignored
            assertEquals(1, s.stats().prefetchDropped());
            assertEquals(Tier.SSD, get(s, 0, 1), "read for the request: a miss of its step, though it finished before the acquire");
            assertEquals(Tier.FAST, get(s, 0, 1), "the next acquire is a hit (promoted by the first)");
            a.close();
            assertEquals(2, s.stats().ssdReads());
        }
    }

    /** The per-layer demand stall lives in the store's statistics, and a listener hears of every acquire. */
    @Test
    void statisticsCountAcquiresMissesAndStallPerLayer() {
        List<String> heard = new ArrayList<>();
        try (TieredExpertStore s = builder(8, 8).beforeRead(k -> {
            if (k.layer() == 1) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
            }
        }).build()) {
            s.listen((layer, expert, tier, ns) -> heard.add(layer + "/" + expert + "/" + tier));
            get(s, 0, 0);
            get(s, 0, 0);
            get(s, 1, 0);
            StoreStats st = s.stats();
            assertArrayEquals(new long[] {2, 1}, st.layerAcquires());
            assertArrayEquals(new long[] {1, 1}, st.layerMisses(), "one SSD read per layer; the second acquire of (0, 0) hits");
            assertTrue(st.stallNanos(1) >= 20_000_000L, "layer 1 waited 20 ms for its read, recorded " + st.stallNanos(1) + " ns");
            assertEquals(List.of("0/0/SSD", "0/0/FAST", "1/0/SSD"), heard);
            assertEquals(st.waitNs(Tier.SSD) + st.waitNs(Tier.FAST) + st.waitNs(Tier.HOST), st.stallNanos(0) + st.stallNanos(1),
                    "per-layer stall adds up to the per-tier waits");
        }
    }
}
