// The fast tier of a CPU-only run: a budgeted resident set of host slots, served in place.
package io.strata.tiering.fast;

import io.strata.tiering.ExpertKey;
import io.strata.tiering.host.ByteSize;
import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.Set;

/**
 * On a CPU the compute backend reads expert weights straight from host memory, so there is nothing to copy:
 * this tier is the set of host slots the backend treats as its working set, capped at {@code budget / slotBytes}
 * experts (and at the host tier's slot count, since every member lives in a host slot). An acquire of a member is a
 * FAST hit; an acquire of a host-resident non-member is a HOST hit and makes it a member (evicting another member
 * by the store's policy). The budget thus bounds the working set the way VRAM bounds it on a GPU, keeps the two
 * backends' statistics comparable, and costs no memory beyond the host budget.
 */
public final class CpuFastTier implements FastTier {
    private final long budgetBytes;
    private final int capacity;
    private final Set<ExpertKey> members = new HashSet<>();

    public CpuFastTier(long budgetBytes, long slotBytes, int minSlots) {
        long n = budgetBytes / slotBytes;
        if (n < minSlots) {
            throw new IllegalArgumentException("fast budget " + ByteSize.format(budgetBytes) + " (" + budgetBytes
                    + " bytes) holds " + n + " experts of " + slotBytes + " bytes; one layer's top-" + minSlots
                    + " needs at least " + (minSlots * slotBytes) + " bytes (" + ByteSize.format(minSlots * slotBytes) + ")");
        }
        this.budgetBytes = budgetBytes;
        this.capacity = (int) Math.min(Integer.MAX_VALUE, n);
    }

    @Override
    public long budgetBytes() {
        return budgetBytes;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public FastSlot admit(ExpertKey key, MemorySegment[] parts) {
        if (members.size() >= capacity && !members.contains(key)) {
            throw new IllegalStateException("CPU fast tier full (" + capacity + " experts): cannot admit " + key);
        }
        members.add(key);
        return FastSlot.IN_PLACE;
    }

    @Override
    public void evict(ExpertKey key) {
        members.remove(key);
    }

    @Override
    public String describe() {
        return "cpu resident set (" + capacity + " experts, in place)";
    }

    @Override
    public void close() {
        members.clear();
    }
}
