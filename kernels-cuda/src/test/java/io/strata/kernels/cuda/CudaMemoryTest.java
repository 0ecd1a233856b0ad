// Pinned host memory, async copies ordered by events across streams, and the VRAM fast tier under the store's policy.
// Needs a GPU: skipped where CudaAvailability says no.
package io.strata.kernels.cuda;

import static io.strata.kernels.cuda.GpuTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

import io.strata.compression.DType;
import io.strata.compression.Matrix;
import io.strata.compression.kernel.ScalarDenseKernels;
import io.strata.tiering.ExpertKey;
import io.strata.tiering.ExpertWeights;
import io.strata.tiering.fast.FastSet;
import io.strata.tiering.fast.FastSlot;
import io.strata.tiering.policy.EvictionPolicy;
import io.strata.tiering.policy.LfuPolicy;
import io.strata.tiering.policy.LruPolicy;
import io.strata.tiering.stats.StatsRecorder;
import java.util.List;
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

    /** Five dense bf16 experts in pinned memory (hidden 128, intermediate 64). */
    private static ExpertWeights[] pinnedExperts(Random rnd) {
        int hidden = 128, inter = 64;
        ExpertWeights[] experts = new ExpertWeights[5];
        for (int e = 0; e < experts.length; e++) {
            experts[e] = new ExpertWeights(
                    pinnedCopy(hostMatrix("gate" + e, gaussian(rnd, inter * hidden, 0.5f), DType.BF16, inter, hidden)),
                    pinnedCopy(hostMatrix("up" + e, gaussian(rnd, inter * hidden, 0.5f), DType.BF16, inter, hidden)),
                    pinnedCopy(hostMatrix("down" + e, gaussian(rnd, hidden * inter, 0.5f), DType.BF16, hidden, inter)));
        }
        return experts;
    }

    private static MemorySegment[] parts(ExpertWeights w) {
        return new MemorySegment[] {w.gate().data(), w.up().data(), w.down().data()};
    }

    @Test
    void vramTierServesSlotsUnderBudgetAndOrdersReuseAfterCompute() {
        Random rnd = new Random(21);
        ExpertWeights[] experts = pinnedExperts(rnd);
        int hidden = 128, inter = 64;
        long slot = VramFastTier.slotBytesFor(experts[0].gate().byteSize(), experts[0].up().byteSize(), experts[0].down().byteSize());
        long budget = 3 * slot + slot / 2;
        try (CudaStream copy = ctx.newStream(); CudaStream compute = ctx.newStream();
             DeviceBuffer x = upload(ctx, gaussian(rnd, hidden, 1f), "x"); DeviceBuffer out = ctx.alloc(4L * inter, "out")) {
            VramFastTier tier = new VramFastTier(ctx, budget, slot, 1024, copy, compute);
            FastSet set = new FastSet(tier, new LruPolicy(), tier.capacity(), 1, new StatsRecorder());
            assertEquals(3, tier.capacity());
            assertTrue(tier.deviceBytes() <= budget, "device bytes " + tier.deviceBytes() + " over budget " + budget);
            float[] xh = x.downloadFloats(hidden);
            int[] order = {0, 1, 2, 0, 3, 4, 0, 1};
            int copies = 0;
            long time = 0;
            for (int e : order) {
                ExpertKey key = new ExpertKey(0, e);
                set.policy().onAccess(key, time);
                boolean hit = set.contains(key);
                FastSlot s = set.admit(key, parts(experts[e]), time++, k -> true);
                if (!hit) copies++;
                set.lease(key);
                VramFastTier.awaitOn(s, compute);
                DeviceMatrix gate = DeviceMatrix.view(tier.view(s.addresses()[0], experts[e].gate().byteSize()), experts[e].gate());
                ctx.kernels().matmul(compute, gate, x, out, 1, false);
                set.unlease(key);  // records the slot's consumed event after the matmul
                compute.synchronize();
                float[] want = new float[inter];
                new ScalarDenseKernels().matmul(experts[e].gate(), xh, 1, want, 0, inter);
                assertClose(want, out.downloadFloats(inter), null, 1e-4, 1e-4, "expert " + e + (hit ? " (VRAM hit)" : " (copied)"));
            }
            // 0,1,2 miss; 0 hit; 3 evicts 1 (LRU); 4 evicts 2; 0 hit; 1 miss (evicts 3)
            assertEquals(6, copies);
            assertEquals(List.of(new ExpertKey(0, 0), new ExpertKey(0, 4), new ExpertKey(0, 1)), set.members());
            set.lease(new ExpertKey(0, 0));
            set.lease(new ExpertKey(0, 4));
            set.lease(new ExpertKey(0, 1));
            assertNull(set.admit(new ExpertKey(0, 2), parts(experts[2]), time, k -> true), "every member leased: nothing to evict");
            set.close();
        }
    }

    /** The store's policy, not the tier, decides what stays in VRAM: LFU keeps the hot expert that LRU drops. */
    @Test
    void vramEvictionFollowsTheStorePolicy() {
        ExpertWeights[] experts = pinnedExperts(new Random(5));
        long slot = VramFastTier.slotBytesFor(experts[0].gate().byteSize(), experts[0].up().byteSize(), experts[0].down().byteSize());
        // 0 used three times, then 1 and 2 once each: at the miss of 3 with 3 slots, LRU evicts 0, LFU evicts 1.
        int[] order = {0, 0, 0, 1, 2, 3};
        for (String policy : new String[] {"lru", "lfu"}) {
            try (CudaStream copy = ctx.newStream(); CudaStream compute = ctx.newStream()) {
                VramFastTier tier = new VramFastTier(ctx, 3 * slot, slot, 1024, copy, compute);
                EvictionPolicy p = policy.equals("lru") ? new LruPolicy() : new LfuPolicy();
                FastSet set = new FastSet(tier, p, tier.capacity(), 1, new StatsRecorder());
                long time = 0;
                for (int e : order) {
                    ExpertKey key = new ExpertKey(0, e);
                    p.onAccess(key, time);
                    set.admit(key, parts(experts[e]), time++, k -> true);
                }
                boolean keptHot = tier.contains(new ExpertKey(0, 0));
                assertEquals(policy.equals("lfu"), keptHot, policy + ": VRAM members " + set.members());
                assertEquals(policy.equals("lru"), tier.contains(new ExpertKey(0, 1)), policy + ": VRAM members " + set.members());
                set.close();
            }
        }
    }

    private static Matrix pinnedCopy(Matrix m) {
        // Pinned memory for the expert so the cache's copies are truly asynchronous (leaked: test only).
        PinnedBuffer p = ctx.allocPinned(m.byteSize());
        p.segment().copyFrom(m.data());
        return new Matrix(m.name(), p.segment(), m.dtype(), m.rows(), m.cols());
    }
}
