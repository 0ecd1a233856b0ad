// The fast tier on a GPU: fixed VRAM slots under a hard byte budget. The store decides what lives here; this class
// only copies (async, on a copy stream) and orders a slot's reuse after the compute that last read it.
package io.strata.kernels.cuda;

import io.strata.tiering.ExpertKey;
import io.strata.tiering.fast.FastSlot;
import io.strata.tiering.fast.FastTier;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code slots = min(maxSlots, floor(budgetBytes / slotBytes))} slots in one device allocation of
 * {@code slots · slotBytes ≤ budgetBytes} bytes (the budget is never exceeded). An admitted expert's parts are copied
 * back to back into its slot, each 256-byte aligned so the kernels keep their 16-byte load path.
 *
 * <p>Ordering without blocking the host: {@link #admit} queues the host-to-device copies on the copy stream after
 * the slot's previous reader has finished ({@code consumed}, recorded on the compute stream by {@link #released}),
 * then records the slot's {@code ready} event, which it returns in the {@link FastSlot}; the compute stream waits
 * for that one event ({@link #awaitOn}) before reading the expert. Host parts should be pinned for the copies to be
 * asynchronous and overlap compute; pageable parts are copied synchronously.
 *
 * <p>No eviction policy lives here: the store's {@code FastSet} picks victims and calls {@link #evict}.
 */
public final class VramFastTier implements FastTier {
    private final CudaContext ctx;
    private final CudaStream copyStream;
    private final CudaStream computeStream;
    private final long budgetBytes;
    private final long slotBytes;
    private final DeviceBuffer arena;
    private final Slot[] slots;
    private final ArrayDeque<Slot> free = new ArrayDeque<>();
    private final Map<ExpertKey, Slot> resident = new HashMap<>();
    private long bytesCopied;

    private final class Slot {
        final DeviceBuffer memory;   // (slotBytes) bytes of the arena
        long[] partOffsets;          // where each admitted part starts in memory
        final CudaEvent ready;       // copy of the current expert complete (copy stream)
        final CudaEvent consumed;    // last reader done (compute stream)
        boolean everConsumed;

        Slot(int index) {
            memory = arena.slice(index * slotBytes, slotBytes);
            ready = ctx.newEvent(false);
            consumed = ctx.newEvent(false);
        }
    }

    /**
     * @param budgetBytes   hard VRAM budget of the expert slots
     * @param slotBytes     bytes of one expert's parts, each rounded up to 256 ({@link #slotBytesFor})
     * @param maxSlots      at most this many slots (small experts under a large budget need no more)
     * @param copyStream    where the host-to-device copies queue
     * @param computeStream where the kernels that read the experts queue
     */
    public VramFastTier(CudaContext ctx, long budgetBytes, long slotBytes, int maxSlots, CudaStream copyStream, CudaStream computeStream) {
        this.ctx = ctx;
        this.copyStream = copyStream;
        this.computeStream = computeStream;
        this.budgetBytes = budgetBytes;
        this.slotBytes = align(slotBytes);
        long n = Math.min(maxSlots, budgetBytes / this.slotBytes);
        if (n < 1) {
            throw new IllegalArgumentException("VRAM budget of " + budgetBytes + " bytes for experts holds no expert slot of "
                    + this.slotBytes + " bytes");
        }
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("too many VRAM slots: " + n);
        this.arena = ctx.alloc(n * this.slotBytes, "vram-expert-slots");
        this.slots = new Slot[(int) n];
        for (int i = 0; i < n; i++) {
            slots[i] = new Slot(i);
            free.add(slots[i]);
        }
    }

    /**
     * Host-to-device copy rate into this tier's own memory (bytes/s): the median of {@code reps} timed copies of one slot
     * from a pinned host buffer into a free slot. Needs no device memory beyond the tier's: a run that plans its steps
     * measures its link this way without stepping over its VRAM budget. Call before the first admission.
     */
    public double measureHostToDevice(int reps) {
        Slot s = free.peek();
        if (s == null || !resident.isEmpty()) throw new IllegalStateException("measure the copy rate before experts are admitted");
        try (PinnedBuffer h = ctx.allocPinned(slotBytes); CudaEvent a = ctx.newEvent(true); CudaEvent z = ctx.newEvent(true)) {
            h.segment().fill((byte) 1);
            s.memory.copyFromHostAsync(h.segment(), 0, copyStream); // warm-up
            double[] ms = new double[reps];
            for (int i = 0; i < reps; i++) {
                a.record(copyStream);
                s.memory.copyFromHostAsync(h.segment(), 0, copyStream);
                z.record(copyStream);
                z.synchronize();
                ms[i] = z.elapsedMillisSince(a);
            }
            java.util.Arrays.sort(ms);
            return slotBytes / (ms[reps / 2] / 1e3);
        }
    }

    /** Slot size that holds parts of these sizes, each 256-byte aligned. */
    public static long slotBytesFor(long... partBytes) {
        long s = 0;
        for (long b : partBytes) s += align(b);
        return s;
    }

    private static long align(long b) {
        return (b + 255) & ~255L;
    }

    @Override
    public long budgetBytes() {
        return budgetBytes;
    }

    @Override
    public int capacity() {
        return slots.length;
    }

    @Override
    public FastSlot admit(ExpertKey key, MemorySegment[] parts) {
        if (resident.containsKey(key)) throw new IllegalStateException(key + " is already in VRAM");
        long need = 0;
        for (MemorySegment p : parts) need += align(p.byteSize());
        if (need > slotBytes) throw new IllegalArgumentException(key + ": expert needs " + need + " bytes of VRAM, a slot holds " + slotBytes);
        Slot s = free.poll();
        if (s == null) throw new IllegalStateException("VRAM tier full (" + slots.length + " slots): the store must evict before admitting " + key);
        if (s.everConsumed) copyStream.waitFor(s.consumed); // the previous expert's readers are done
        long[] addr = new long[parts.length];
        s.partOffsets = new long[parts.length];
        long off = 0, copied = 0;
        for (int i = 0; i < parts.length; i++) {
            s.partOffsets[i] = off;
            DeviceBuffer dst = s.memory.slice(off, parts[i].byteSize());
            if (parts[i].isNative()) dst.copyFromHostAsync(parts[i], 0, copyStream);
            else dst.copyFromHost(parts[i], 0);
            addr[i] = dst.address();
            off += align(parts[i].byteSize());
            copied += parts[i].byteSize();
        }
        s.ready.record(copyStream);
        resident.put(key, s);
        bytesCopied += copied;
        return new FastSlot(addr, s.ready, copied);
    }

    @Override
    public void update(ExpertKey key, int part, long offset, MemorySegment src) {
        Slot s = resident.get(key);
        if (s == null) throw new IllegalStateException(key + " is not in VRAM");
        DeviceBuffer dst = s.memory.slice(s.partOffsets[part] + offset, src.byteSize());
        if (src.isNative()) dst.copyFromHostAsync(src, 0, copyStream);
        else dst.copyFromHost(src, 0);
        s.ready.record(copyStream);  // compute that waits on the slot from now on sees these bytes too
        bytesCopied += src.byteSize();
    }

    @Override
    public void released(ExpertKey key) {
        Slot s = resident.get(key);
        if (s == null) return;
        s.consumed.record(computeStream);
        s.everConsumed = true;
    }

    @Override
    public void evict(ExpertKey key) {
        Slot s = resident.remove(key);
        if (s == null) throw new IllegalStateException(key + " is not in VRAM");
        free.add(s);
    }

    /** Makes {@code compute} wait for the copy behind {@code slot} (a no-op wait when it is done). */
    public static void awaitOn(FastSlot slot, CudaStream compute) {
        if (slot.ready() instanceof CudaEvent e) compute.waitFor(e);
        else throw new IllegalArgumentException("not a VRAM slot: " + slot);
    }

    /** A device view of {@code bytes} at {@code address}, which must lie in this tier's slots. */
    public DeviceBuffer view(long address, long bytes) {
        long off = address - arena.address();
        return arena.slice(off, bytes);
    }

    /** Whether {@code address} lies in this tier's memory. */
    public boolean owns(long address) {
        return address >= arena.address() && address < arena.address() + arena.byteSize();
    }

    public long slotBytes() {
        return slotBytes;
    }

    /** Device bytes held: capacity · slotBytes ≤ the budget. */
    public long deviceBytes() {
        return arena.byteSize();
    }

    /** Bytes copied host-to-device so far. */
    public long bytesCopied() {
        return bytesCopied;
    }

    public boolean contains(ExpertKey key) {
        return resident.containsKey(key);
    }

    @Override
    public String describe() {
        return "VRAM " + slots.length + " slots x " + (slotBytes >> 10) + " KiB (" + (arena.byteSize() >> 20) + " MiB of a "
                + (budgetBytes >> 20) + " MiB budget)";
    }

    @Override
    public void close() {
        copyStream.synchronize();
        computeStream.synchronize();
        for (Slot s : slots) {
            s.ready.close();
            s.consumed.close();
        }
        arena.close();
    }
}
