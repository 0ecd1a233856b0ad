// Serving experts under injected read faults: failed, short, truncated and stalled reads, and blobs corrupted after open.
package io.strata.tiering.fault;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.tiering.ExpertHandle;
import io.strata.tiering.Tier;
import io.strata.tiering.TieredExpertStore;
import io.strata.tiering.store.PackedStore;
import io.strata.tiering.store.StoreException;
import io.strata.tiering.store.StoreTestData;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class LoadFaultTest {
    static final int L = 2, E = 8, H = 24, I = 40;
    static final long SLOT = 3 * 4096; // one expert region

    @TempDir
    Path dir;
    Path storeDir;

    @BeforeEach
    void pack() {
        storeDir = StoreTestData.write(dir.resolve("store"), L, E, H, I);
    }

    private TieredExpertStore.Builder builder(long hostSlots, FaultyIo io) {
        // Buffered reads: the same path on every file system (O_DIRECT would retry a failed read buffered).
        return TieredExpertStore.builder(storeDir).hostBudget(hostSlots * SLOT + 100).fastBudget(2 * SLOT).topK(2)
                .directIo(false).fileIo(io);
    }

    private static void get(TieredExpertStore s, int l, int e) {
        try (ExpertHandle h = s.acquire(l, e)) {
            StoreTestData.check(h.weights(), l, e);
        }
    }

    /** The expert whose blob a read at this offset of experts-00L.bin is, for plans that target one expert. */
    private long offset(int layer, int expert) {
        try (PackedStore p = PackedStore.open(storeDir)) {
            return p.expert(layer, expert).offset();
        }
    }

    @Test
    void readFailingOnceFailsOneAcquireThenTheSameExpertLoads() {
        FaultyIo io = new FaultyIo((k, f, n) -> k == FaultyIo.Kind.READ && n == 1 ? FaultyIo.Fault.EIO : null);
        try (TieredExpertStore s = builder(3, io).build()) {
            StoreException e = assertThrows(StoreException.class, () -> s.acquire(0, 3));
            assertTrue(e.getMessage().contains("experts-000.bin") && e.getMessage().contains("layer 0 expert 3")
                    && e.getMessage().contains("offset") && e.getMessage().contains("Input/output error"), e.getMessage());
            get(s, 0, 3); // read again: served, correct bytes
            get(s, 1, 5);
            assertEquals(1, s.stats().loadFailures());
        }
        FaultMatrix.record("EIO once", "load (demand read)",
                "that acquire fails: StoreException naming file, layer, expert, offset; the next acquire reads again and is served", 1);
    }

    @Test
    void shortReadsAreCompletedAndServeTheRightBytes() {
        FaultyIo io = new FaultyIo((k, f, n) -> k == FaultyIo.Kind.READ ? FaultyIo.Fault.SHORT : null);
        try (TieredExpertStore s = builder(3, io).build()) {
            for (int l = 0; l < L; l++) {
                for (int e = 0; e < E; e++) {
                    get(s, l, e);
                }
            }
            assertEquals(0, s.stats().loadFailures());
        }
        assertTrue(io.reads() >= L * E * (SLOT / FaultyIo.SHORT_BYTES), "every read was cut short: " + io.reads());
        FaultMatrix.record("short read (<= 1000 bytes per call)", "load", "reader loops to the full region; all 16 experts served"
                + " with the right bytes", L * E);
    }

    @Test
    void readHittingEndOfFileIsATruncationError() {
        FaultyIo io = new FaultyIo((k, f, n) -> k == FaultyIo.Kind.READ && n == 1 ? FaultyIo.Fault.EOF : null);
        try (TieredExpertStore s = builder(3, io).build()) {
            StoreException e = assertThrows(StoreException.class, () -> s.acquire(1, 1));
            assertTrue(e.getMessage().contains("experts-001.bin") && e.getMessage().contains("truncated"), e.getMessage());
            get(s, 1, 1);
        }
        FaultMatrix.record("read returns end of file", "load", "StoreException '... (truncated)' naming file and expert; "
                + "next acquire served", 1);
    }

    @Test
    void readThatNeverReturnsTimesOutAndTheStoreStaysUsable() throws Exception {
        long stuck = offset(0, 1);
        // The first read of the run is expert 0/1's: it never returns until released.
        FaultyIo io = new FaultyIo((k, f, n) -> k == FaultyIo.Kind.READ && n == 1 ? FaultyIo.Fault.HANG : null);
        try (TieredExpertStore s = builder(3, io).loaderThreads(2).loadTimeout(Duration.ofMillis(300)).build()) {
            long t0 = System.nanoTime();
            StoreException e = assertThrows(StoreException.class, () -> s.acquire(0, 1));
            double waited = (System.nanoTime() - t0) / 1e9;
            assertTrue(waited < 5, "the acquire gave up after the timeout, not later: " + waited + " s");
            assertTrue(e.getMessage().contains("layer 0 expert 1") && e.getMessage().contains("not loaded within 300 ms")
                    && e.getMessage().contains("offset " + stuck), e.getMessage());
            // The other loader thread and the two free slots still serve.
            get(s, 0, 2);
            get(s, 1, 4);
            get(s, 0, 2);
            assertTrue(s.hostAllocatedBytes() <= 3 * SLOT + 100);
            io.release(); // the disk comes back: the stuck read returns and frees its slot
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (true) {
                try {
                    get(s, 0, 1);
                    break;
                } catch (StoreException again) {
                    assertTrue(System.nanoTime() < deadline, "expert 0/1 never loaded after the disk came back: " + again);
                }
            }
            for (int x = 0; x < E; x++) {
                get(s, 1, x); // all three slots cycle: none was lost to the abandoned read
            }
        }
        FaultMatrix.record("read never returns", "load (demand, 2 loader threads)",
                "acquire fails after the 300 ms timeout naming file, expert, offset; other experts served meanwhile;"
                        + " slot kept until the read returns, then reused", 1);
    }

    @Test
    void stalledReadDoesNotBlockClose() throws Exception {
        FaultyIo io = new FaultyIo((k, f, n) -> k == FaultyIo.Kind.READ ? FaultyIo.Fault.HANG : null);
        TieredExpertStore s = builder(3, io).loadTimeout(Duration.ofMillis(200)).build();
        s.prefetch(0, 0);
        assertThrows(StoreException.class, () -> s.acquire(1, 0));
        long t0 = System.nanoTime();
        s.close(); // interrupts the stalled reads
        assertTrue((System.nanoTime() - t0) / 1e9 < 10, "close returned");
        FaultMatrix.record("every read stalls", "close with a stalled prefetch and demand read", "close interrupts them and returns", 1);
    }

    @Test
    void blobCorruptedAfterOpenIsCaughtAtReadTimeOnDemandAndPrefetchPaths() throws Exception {
        try (TieredExpertStore s = builder(2, new FaultyIo((k, f, n) -> null)).policy("lru").build()) {
            get(s, 1, 2); // served while intact
            get(s, 1, 6);
            // The blob rots on disk while the store is open.
            try (RandomAccessFile f = new RandomAccessFile(storeDir.resolve("experts-001.bin").toFile(), "rw")) {
                long off = offset(1, 2) + 5000;
                f.seek(off);
                int b = f.read();
                f.seek(off);
                f.write(b ^ 0x10);
            }
            // Still resident from before: served from memory, which is intact.
            try (ExpertHandle h = s.acquire(1, 2)) {
                assertNotEquals(Tier.SSD, h.servedFrom());
                StoreTestData.check(h.weights(), 1, 2);
            }
            get(s, 0, 0); // evict 1/2 and 1/6 (2 host slots, LRU)
            get(s, 0, 1);
            StoreException demand = assertThrows(StoreException.class, () -> s.acquire(1, 2));
            assertTrue(demand.getMessage().contains("layer 1 expert 2") && demand.getMessage().contains("CRC32C mismatch"),
                    demand.getMessage());
            // Prefetch path: the hinted load fails its CRC check; the acquire that follows reads again and fails too.
            s.prefetch(1, 2);
            Thread.sleep(200);
            StoreException afterPrefetch = assertThrows(StoreException.class, () -> s.acquire(1, 2));
            assertTrue(afterPrefetch.getMessage().contains("CRC32C mismatch"), afterPrefetch.getMessage());
            get(s, 1, 6); // intact neighbours still serve
            assertTrue(s.stats().loadFailures() >= 2);
        }
        FaultMatrix.record("blob corrupted after open", "load: demand and prefetch", "resident copy (read before) keeps serving;"
                + " every read of the corrupt blob fails its CRC32C check, StoreException naming layer, expert, file; nothing served", 2);
    }

    @Test
    void loadFailureReachesTheCallerOnceAsTheErrorWithoutAnErrorLogLine() throws Exception {
        // A CRC error used to print an ERROR (SEVERE) log line, once per failed load, before the error itself.
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(TieredExpertStore.class.getName());
        java.util.List<java.util.logging.LogRecord> loud = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
                    loud.add(r);
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        log.addHandler(h);
        try (RandomAccessFile f = new RandomAccessFile(storeDir.resolve("experts-000.bin").toFile(), "rw")) {
            long off = offset(0, 4) + 100;
            f.seek(off);
            int b = f.read();
            f.seek(off);
            f.write(b ^ 0x01);
        }
        try (TieredExpertStore s = builder(3, new FaultyIo((k, f, n) -> null)).build()) {
            s.prefetch(0, 4); // a failed prefetch nobody waits for: counted, not logged
            Thread.sleep(100);
            StoreException e = assertThrows(StoreException.class, () -> s.acquire(0, 4));
            assertTrue(e.getMessage().contains("CRC32C mismatch"), e.getMessage());
            assertTrue(s.stats().loadFailures() >= 1);
        } finally {
            log.removeHandler(h);
        }
        assertTrue(loud.isEmpty(), "log lines at WARNING or above: " + loud.stream().map(java.util.logging.LogRecord::getMessage).toList());
    }
}
