// The host tier: slabs cut into fixed-size slots, one expert per slot, never more bytes than the budget.
package io.strata.tiering.host;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code slots = floor(budget / slotBytes)} slots of {@code slotBytes} (the largest expert region, a multiple of
 * 4 KiB) are allocated up front in slabs of at most {@link SlabAllocator#maxSlabBytes()}; each slot is 4 KiB
 * aligned so O_DIRECT reads land in it directly. The budget is a hard limit: allocated bytes never exceed it.
 * Which expert occupies which slot is the store's business; this class only owns the memory.
 */
public final class HostTier implements AutoCloseable {
    public static final long ALIGNMENT = 4096;
    private final SlabAllocator allocator;
    private final long slotBytes;
    private final long budgetBytes;
    private final List<MemorySegment> slots = new ArrayList<>();

    /**
     * @param minSlots the fewest slots that can serve one layer (its top-k); a smaller budget is refused
     */
    public HostTier(SlabAllocator allocator, long budgetBytes, long slotBytes, int minSlots) {
        if (slotBytes <= 0 || slotBytes % ALIGNMENT != 0) {
            throw new IllegalArgumentException("slot size must be a positive multiple of " + ALIGNMENT + " bytes, found "
                    + slotBytes);
        }
        long n = budgetBytes / slotBytes;
        if (n < minSlots) {
            throw new IllegalArgumentException("host budget " + ByteSize.format(budgetBytes) + " (" + budgetBytes
                    + " bytes) holds " + n + " expert slots of " + slotBytes + " bytes; one layer's top-" + minSlots
                    + " needs at least " + (minSlots * slotBytes) + " bytes (" + ByteSize.format(minSlots * slotBytes) + ")");
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("host budget " + budgetBytes + " gives more than 2^31 slots");
        }
        this.allocator = allocator;
        this.slotBytes = slotBytes;
        this.budgetBytes = budgetBytes;
        long perSlab = Math.max(1, allocator.maxSlabBytes() / slotBytes);
        for (long left = n; left > 0; left -= perSlab) {
            long k = Math.min(left, perSlab);
            MemorySegment slab = allocator.allocate(k * slotBytes, ALIGNMENT);
            for (long i = 0; i < k; i++) {
                slots.add(slab.asSlice(i * slotBytes, slotBytes));
            }
        }
    }

    public int slots() {
        return slots.size();
    }

    public long slotBytes() {
        return slotBytes;
    }

    public long budgetBytes() {
        return budgetBytes;
    }

    /** Bytes actually allocated (≤ budget). */
    public long allocatedBytes() {
        return (long) slots.size() * slotBytes;
    }

    /** Slot i's memory: {@code slotBytes} bytes, 4 KiB aligned. */
    public MemorySegment slot(int i) {
        return slots.get(i);
    }

    public String describe() {
        return allocator.describe();
    }

    @Override
    public void close() {
        slots.clear();
        allocator.close();
    }
}
