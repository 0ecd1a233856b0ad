// Pinned host memory, async copies ordered by events across streams, and the VRAM expert cache.
// Needs a GPU: skipped where CudaAvailability says no.
package io.strata.kernels.cuda;

import static io.strata.kernels.cuda.GpuTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

import io.strata.compression.DType;
import io.strata.compression.Matrix;
import io.strata.compression.kernel.ScalarDenseKernels;
import io.strata.tiering.ExpertKey;
import io.strata.tiering.ExpertWeights;
import io.strata.tiering.Tier;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CudaMemoryTest {
    static CudaContext ctx;

    @BeforeAll
    static void open() {
        ctx = requireGpu();
    }

    @Test
    void pinnedAsyncRoundTripWithEvents() {
        long bytes = 64L << 20;
        try (PinnedBuffer src = ctx.allocPinned(bytes); PinnedBuffer dst = ctx.allocPinned(bytes);
             DeviceBuffer dev = ctx.alloc(bytes, "roundtrip"); DeviceBuffer dev2 = ctx.alloc(bytes, "roundtrip2");
             CudaStream copy = ctx.newStream(); CudaStream other = ctx.newStream();
             CudaEvent t0 = ctx.newEvent(true); CudaEvent t1 = ctx.newEvent(true); CudaEvent done = ctx.newEvent(false)) {
            MemorySegment a = src.segment();
            assertEquals(bytes, a.byteSize());
            for (long i = 0; i < bytes / 8; i++) a.setAtIndex(ValueLayout.JAVA_LONG, i, i * 0x9E3779B97F4A7C15L);
            t0.record(copy);
            dev.copyFromHostAsync(a, 0, copy);
            t1.record(copy);
            done.record(copy);
            other.waitFor(done);  // the D2D on the other stream must see the finished H2D
            dev2.copyFromDeviceAsync(dev, 0, 0, bytes, other);
            dev2.copyToHostAsync(0, dst.segment(), other);
            other.synchronize();
            assertTrue(done.isDone());
            assertEquals(-1L, a.mismatch(dst.segment()), "round trip mismatch");
            float ms = t1.elapsedMillisSince(t0);
            assertTrue(ms > 0, "H2D elapsed " + ms + " ms");
            System.out.printf("pinned H2D 64 MiB: %.3f ms (%.1f GB/s)%n", ms, bytes / (ms * 1e6));
        }
    }

    @Test
    void pinnedSlabLimitIsEnforced() {
        assertThrows(IllegalArgumentException.class, () -> ctx.allocPinned(PinnedBuffer.MAX_SLAB_BYTES + 1));
    }

    @Test
    void vramCacheServesLeasesUnderBudget() {
        Random rnd = new Random(21);
        int hidden = 128, inter = 64;
        ExpertWeights[] experts = new ExpertWeights[5];
        for (int e = 0; e < experts.length; e++) {
            experts[e] = new ExpertWeights(
                    pinnedCopy(hostMatrix("gate" + e, gaussian(rnd, inter * hidden, 0.5f), DType.BF16, inter, hidden)),
                    pinnedCopy(hostMatrix("up" + e, gaussian(rnd, inter * hidden, 0.5f), DType.BF16, inter, hidden)),
                    pinnedCopy(hostMatrix("down" + e, gaussian(rnd, hidden * inter, 0.5f), DType.BF16, hidden, inter)));
        }
        long slot = VramExpertCache.slotBytesFor(experts[0]);
        long budget = 3 * slot + slot / 2;
        try (CudaStream copy = ctx.newStream(); CudaStream compute = ctx.newStream();
             VramExpertCache cache = new VramExpertCache(ctx, budget, slot, copy);
             DeviceBuffer x = upload(ctx, gaussian(rnd, hidden, 1f), "x"); DeviceBuffer out = ctx.alloc(4L * inter, "out")) {
            assertEquals(3, cache.slotCount());
            assertTrue(cache.deviceBytes() <= budget, "device bytes " + cache.deviceBytes() + " over budget " + budget);
            float[] xh = x.downloadFloats(hidden);
            int[] order = {0, 1, 2, 0, 3, 4, 0, 1};
            for (int e : order) {
                ExpertKey key = new ExpertKey(0, e);
                VramExpertCache.Lease lease = cache.acquire(key, experts[e]);
                lease.awaitOn(compute);
                ctx.kernels().matmul(compute, lease.gate(), x, out, 1, false);
                lease.release(compute);
                compute.synchronize();
                float[] want = new float[inter];
                new ScalarDenseKernels().matmul(experts[e].gate(), xh, 1, want, 0, inter);
                assertClose(want, out.downloadFloats(inter), null, 1e-4, 1e-4, "expert " + e + " served from " + lease.servedFrom());
            }
            // 0,1,2 miss; 0 hit; 3 evicts 1 (LRU); 4 evicts 2; 0 hit; 1 miss
            assertEquals(2, cache.hits());
            assertEquals(6, cache.misses());
            VramExpertCache.Lease a = cache.acquire(new ExpertKey(0, 0), experts[0]);
            VramExpertCache.Lease b = cache.acquire(new ExpertKey(0, 4), experts[4]);
            VramExpertCache.Lease c = cache.acquire(new ExpertKey(0, 1), experts[1]);
            assertEquals(Tier.FAST, a.servedFrom());
            IllegalStateException full = assertThrows(IllegalStateException.class, () -> cache.acquire(new ExpertKey(0, 2), experts[2]));
            assertTrue(full.getMessage().contains("all 3 slots"), full.getMessage());
            a.release(compute);
            b.release(compute);
            c.release(compute);
        }
    }

    private static Matrix pinnedCopy(Matrix m) {
        // Pinned memory for the expert so the cache's copies are truly asynchronous (leaked: test only).
        PinnedBuffer p = ctx.allocPinned(m.byteSize());
        p.segment().copyFrom(m.data());
        return new Matrix(m.name(), p.segment(), m.dtype(), m.rows(), m.cols());
    }
}
