// The fast (VRAM) tier: fixed device slots for experts under a hard byte budget, filled by async
// copies on a copy stream so compute waits only for the copy of the expert it is about to use.
package io.strata.kernels.cuda;

import io.strata.compression.Matrix;
import io.strata.tiering.ExpertKey;
import io.strata.tiering.ExpertWeights;
import io.strata.tiering.Tier;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code slots = floor(budgetBytes / slotBytes)} slots in one device allocation of
 * {@code slots · slotBytes ≤ budgetBytes} bytes (the budget is never exceeded). Each slot holds one
 * expert's gate, up and down matrices back to back. Eviction: least recently used slot that no
 * lease holds.
 *
 * <p>Ordering, without blocking the host: a miss queues the H2D copies on the copy stream after
 * the slot's previous user has finished reading it ({@code consumed} event recorded on the compute
 * stream at release), then records the slot's {@code ready} event; {@link Lease#awaitOn} makes the
 * compute stream wait for that one event. Host sources should be pinned for the copies to be
 * truly asynchronous and to overlap compute.
 */
public final class VramExpertCache implements AutoCloseable {
    private final CudaContext ctx;
    private final CudaStream copyStream;
    private final long slotBytes;
    private final DeviceBuffer arena;
    private final Slot[] slots;
    private final Map<ExpertKey, Slot> resident = new HashMap<>();
    /** Access order of slots, least recent first (for LRU). */
    private final LinkedHashMap<Integer, Slot> lru = new LinkedHashMap<>(16, 0.75f, true);
    private long hits, misses, bytesCopied;

    private final class Slot {
        final int index;
        final DeviceBuffer memory;           // (slotBytes) bytes of the arena
        final CudaEvent ready;               // copy of the current expert complete (copy stream)
        final CudaEvent consumed;            // last reader done (compute stream)
        ExpertKey key;
        DeviceMatrix gate, up, down;         // a dense expert's matrices, or null
        DeviceBuffer blob;                   // an encoded expert's bytes, or null
        int leases;
        boolean everConsumed;

        Slot(int index) {
            this.index = index;
            this.memory = arena.slice(index * slotBytes, slotBytes);
            this.ready = ctx.newEvent(false);
            this.consumed = ctx.newEvent(false);
        }
    }

    /** A hold on one resident expert; the slot cannot be evicted until {@link #release}. */
    public final class Lease {
        private final Slot slot;
        private final Tier servedFrom;
        private boolean released;

        private Lease(Slot slot, Tier servedFrom) {
            this.slot = slot;
            this.servedFrom = servedFrom;
        }

        public ExpertKey key() { return slot.key; }
        /** (intermediate, hidden) */
        public DeviceMatrix gate() { return slot.gate; }
        /** (intermediate, hidden) */
        public DeviceMatrix up() { return slot.up; }
        /** (hidden, intermediate) */
        public DeviceMatrix down() { return slot.down; }
        /** The bytes of an expert leased with {@link #acquireBlob}, laid out as on the host. */
        public DeviceBuffer blob() {
            if (slot.blob == null) throw new IllegalStateException(slot.key + ": leased as dense matrices, not as a blob");
            return slot.blob;
        }
        /** FAST on a hit, HOST when this acquire copied it in. */
        public Tier servedFrom() { return servedFrom; }

        /** Makes {@code compute} wait for this expert's copy (a no-op wait on a hit whose copy is done). */
        public void awaitOn(CudaStream compute) {
            compute.waitFor(slot.ready);
        }

        /** Ends the lease after the work that reads the expert has been queued on {@code compute}. */
        public void release(CudaStream compute) {
            synchronized (VramExpertCache.this) {
                if (released) throw new IllegalStateException(slot.key + ": lease released twice");
                released = true;
                slot.consumed.record(compute);
                slot.everConsumed = true;
                slot.leases--;
            }
        }
    }

    /**
     * @param budgetBytes hard VRAM budget for expert slots
     * @param slotBytes   bytes of one expert (gate + up + down), rounded up to 256 for alignment
     */
    public VramExpertCache(CudaContext ctx, long budgetBytes, long slotBytes, CudaStream copyStream) {
        this(ctx, budgetBytes, slotBytes, Integer.MAX_VALUE, copyStream);
    }

    /** As above with at most {@code maxSlots} slots (small experts under a large budget need no more). */
    public VramExpertCache(CudaContext ctx, long budgetBytes, long slotBytes, int maxSlots, CudaStream copyStream) {
        this.ctx = ctx;
        this.copyStream = copyStream;
        this.slotBytes = (slotBytes + 255) & ~255L;
        long n = Math.min(maxSlots, budgetBytes / this.slotBytes);
        if (n < 1) {
            throw new IllegalArgumentException("VRAM budget " + budgetBytes + " bytes holds no expert slot of " + this.slotBytes + " bytes");
        }
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("too many slots: " + n);
        this.arena = ctx.alloc(n * this.slotBytes, "vram-expert-cache");
        this.slots = new Slot[(int) n];
        for (int i = 0; i < n; i++) {
            slots[i] = new Slot(i);
            lru.put(i, slots[i]);
        }
    }

    /**
     * Leases {@code key}, queueing the copy from {@code host} on a miss. Never blocks on the GPU.
     *
     * @throws IllegalStateException when every slot is leased
     */
    public synchronized Lease acquire(ExpertKey key, ExpertWeights host) {
        Lease hit = hit(key);
        if (hit != null) {
            if (hit.slot.gate == null) throw new IllegalStateException(key + ": resident as a blob, requested as dense matrices");
            return hit;
        }
        long need = align(host.gate().byteSize()) + align(host.up().byteSize()) + host.down().byteSize();
        if (need > slotBytes) {
            throw new IllegalArgumentException(key + ": expert needs " + need + " bytes, slot holds " + slotBytes);
        }
        Slot victim = claim(key);
        long off = 0;
        victim.gate = copyIn(victim, host.gate(), off);
        off += align(host.gate().byteSize());
        victim.up = copyIn(victim, host.up(), off);
        off += align(host.up().byteSize());
        victim.down = copyIn(victim, host.down(), off);
        victim.blob = null;
        return fill(victim, key);
    }

    /**
     * Leases {@code key} as raw bytes (an encoded expert: quantized parts at their blob offsets),
     * queueing the copy of {@code host} on a miss. Never blocks on the GPU. The device copy starts
     * 256-byte aligned, so parts aligned within the blob stay aligned on the device.
     *
     * @throws IllegalStateException when every slot is leased
     */
    public synchronized Lease acquireBlob(ExpertKey key, MemorySegment host) {
        Lease hit = hit(key);
        if (hit != null) {
            if (hit.slot.blob == null || hit.slot.blob.byteSize() != host.byteSize()) {
                throw new IllegalStateException(key + ": resident in another layout than the " + host.byteSize() + "-byte blob requested");
            }
            return hit;
        }
        if (host.byteSize() > slotBytes) {
            throw new IllegalArgumentException(key + ": blob of " + host.byteSize() + " bytes, slot holds " + slotBytes);
        }
        Slot victim = claim(key);
        DeviceBuffer dst = victim.memory.slice(0, host.byteSize());
        if (host.isNative()) dst.copyFromHostAsync(host, 0, copyStream);
        else dst.copyFromHost(host, 0);
        bytesCopied += host.byteSize();
        victim.gate = victim.up = victim.down = null;
        victim.blob = dst;
        return fill(victim, key);
    }

    private Lease hit(ExpertKey key) {
        Slot s = resident.get(key);
        if (s == null) return null;
        hits++;
        s.leases++;
        lru.get(s.index);  // touch
        return new Lease(s, Tier.FAST);
    }

    /** The least recently used unleased slot, emptied, its copy ordered after its last reader. */
    private Slot claim(ExpertKey key) {
        Slot victim = null;
        for (Slot c : lru.values()) {
            if (c.leases == 0) {
                victim = c;
                break;
            }
        }
        if (victim == null) throw new IllegalStateException("VRAM expert cache: all " + slots.length + " slots leased, cannot load " + key);
        misses++;
        if (victim.key != null) resident.remove(victim.key);
        victim.key = null;
        if (victim.everConsumed) copyStream.waitFor(victim.consumed);  // previous expert's readers are done
        return victim;
    }

    private Lease fill(Slot victim, ExpertKey key) {
        victim.ready.record(copyStream);
        victim.key = key;
        victim.leases = 1;
        resident.put(key, victim);
        lru.get(victim.index);
        return new Lease(victim, Tier.HOST);
    }

    private DeviceMatrix copyIn(Slot s, Matrix m, long off) {
        DeviceBuffer dst = s.memory.slice(off, m.byteSize());
        if (m.data().isNative()) dst.copyFromHostAsync(m.data(), 0, copyStream);
        else dst.copyFromHost(m.data(), 0);
        bytesCopied += m.byteSize();
        return DeviceMatrix.view(dst, m);
    }

    /** Slot size that holds {@code w} with each matrix 256-byte aligned. */
    public static long slotBytesFor(ExpertWeights w) {
        return align(w.gate().byteSize()) + align(w.up().byteSize()) + align(w.down().byteSize());
    }

    /** Slot size that holds an encoded expert of {@code blobBytes} bytes. */
    public static long slotBytesFor(long blobBytes) {
        return align(blobBytes);
    }

    private static long align(long b) {
        return (b + 255) & ~255L;  // 256-byte aligned matrices keep the kernels' 16-byte load path
    }

    public synchronized boolean contains(ExpertKey key) { return resident.containsKey(key); }
    public int slotCount() { return slots.length; }
    public long slotBytes() { return slotBytes; }
    /** Device bytes held: slotCount · slotBytes ≤ the budget. */
    public long deviceBytes() { return arena.byteSize(); }
    public synchronized long hits() { return hits; }
    public synchronized long misses() { return misses; }
    public synchronized long bytesCopied() { return bytesCopied; }

    @Override
    public synchronized void close() {
        copyStream.synchronize();
        for (Slot s : slots) {
            s.ready.close();
            s.consumed.close();
        }
        arena.close();
    }
}
