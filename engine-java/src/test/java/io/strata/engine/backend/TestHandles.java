// Expert handles for backend tests: host-only on the CPU, through a VRAM fast tier on CUDA (as the store does).
package io.strata.engine.backend;

import io.strata.compression.codec.EncodedExpert;
import io.strata.engine.backend.cuda.CudaBackend;
import io.strata.kernels.cuda.VramFastTier;
import io.strata.tiering.ExpertHandle;
import io.strata.tiering.ExpertKey;
import io.strata.tiering.ExpertWeights;
import io.strata.tiering.Tier;
import io.strata.tiering.fast.FastSet;
import io.strata.tiering.fast.FastSlot;
import io.strata.tiering.policy.LruPolicy;
import io.strata.tiering.stats.StatsRecorder;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * What the expert store does for the backend, reduced to one expert at a time: on the CUDA backend the expert is
 * admitted to the backend's VRAM fast tier (made on first use with slots of at least {@code slotBytes}) under LRU, and the
 * handle carries its device addresses; elsewhere the handle points at host memory.
 */
public final class TestHandles {
    private static final Map<Backend, FastSet> SETS = new WeakHashMap<>();
    private static long time;

    private TestHandles() {}

    /** The VRAM fast set of {@code cuda}, created with slots of {@code slotBytes} on first use. */
    public static synchronized FastSet vram(CudaBackend cuda, long slotBytes) {
        return SETS.computeIfAbsent(cuda, b -> {
            // Slots of at least 4 MiB: the parity tests run experts of several sizes through one tier.
            VramFastTier t = cuda.fastTier() != null ? cuda.fastTier() : cuda.newFastTier(Math.max(slotBytes, 4L << 20), 0);
            return new FastSet(t, new LruPolicy(), t.capacity(), 1, new StatsRecorder());
        });
    }

    public static ExpertHandle dense(Backend b, ExpertKey key, ExpertWeights w) {
        if (!(b instanceof CudaBackend cuda)) return ExpertHandle.dense(key, Tier.HOST, w, null, null);
        MemorySegment[] parts = {w.gate().data(), w.up().data(), w.down().data()};
        FastSet set = vram(cuda, VramFastTier.slotBytesFor(w.gate().byteSize(), w.up().byteSize(), w.down().byteSize()));
        synchronized (TestHandles.class) {
            boolean hit = set.contains(key);
            FastSlot s = admit(set, key, parts);
            return ExpertHandle.dense(key, hit ? Tier.FAST : Tier.HOST, w, s, release(set, key, s));
        }
    }

    public static ExpertHandle encoded(Backend b, ExpertKey key, EncodedExpert e) {
        if (!(b instanceof CudaBackend cuda)) return ExpertHandle.encoded(key, Tier.HOST, e, null, null);
        FastSet set = vram(cuda, VramFastTier.slotBytesFor(e.blob().byteSize()));
        synchronized (TestHandles.class) {
            boolean hit = set.contains(key);
            FastSlot s = admit(set, key, new MemorySegment[] {e.blob()});
            return ExpertHandle.encoded(key, hit ? Tier.FAST : Tier.HOST, e, s, release(set, key, s));
        }
    }

    private static FastSlot admit(FastSet set, ExpertKey key, MemorySegment[] parts) {
        set.policy().onAccess(key, time);
        return set.admitLeased(key, parts, time++, k -> true);
    }

    private static Runnable release(FastSet set, ExpertKey key, FastSlot s) {
        return s == null ? null : () -> {
            synchronized (TestHandles.class) {
                set.unlease(key);
            }
        };
    }
}
