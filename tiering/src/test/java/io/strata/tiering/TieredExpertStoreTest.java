// The tiered store against hand-traced tier movements, concurrency, prefetch, budgets and corrupt blobs.
package io.strata.tiering;

import static org.junit.jupiter.api.Assertions.*;

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
}
