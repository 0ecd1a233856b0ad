// Membership of the fast tier: which host-resident experts are also fast, chosen by the fast tier's eviction policy.
package io.strata.tiering.fast;

import io.strata.tiering.ExpertKey;
import io.strata.tiering.policy.EvictionPolicy;
import io.strata.tiering.stats.StatsRecorder;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The store's bookkeeping over a {@link FastTier}: up to {@code capacity} members per partition (one partition, or one
 * per layer), each with the {@link FastSlot} the tier returned; admission and eviction decided by one
 * {@link EvictionPolicy}, never by the tier. Not thread-safe: its owner calls it under its lock.
 */
public final class FastSet {
    private final FastTier tier;
    private final EvictionPolicy policy;
    private final int capacity;                                   // per partition
    private final int parts;                                      // 1, or the number of layers
    private final Map<ExpertKey, FastSlot> members = new LinkedHashMap<>();
    private final int[] count;                                    // (parts) members per partition
    private final Map<ExpertKey, Integer> leases = new HashMap<>(); // members with open leases on their fast copy
    private final StatsRecorder stats;

    /**
     * @param capacity experts the tier may hold per partition (≤ the tier's own capacity / parts)
     * @param parts    1 (one pool) or the number of layers (a partition per layer)
     */
    public FastSet(FastTier tier, EvictionPolicy policy, int capacity, int parts, StatsRecorder stats) {
        this.tier = tier;
        this.policy = policy;
        this.capacity = capacity;
        this.parts = parts;
        this.count = new int[parts];
        this.stats = stats;
    }

    public FastTier tier() {
        return tier;
    }

    public EvictionPolicy policy() {
        return policy;
    }

    /** Members per partition. */
    public int capacity() {
        return capacity;
    }

    public boolean contains(ExpertKey key) {
        return members.containsKey(key);
    }

    /** The member's slot, or null. */
    public FastSlot slot(ExpertKey key) {
        return members.get(key);
    }

    /** Members now, in admission order. */
    public List<ExpertKey> members() {
        return List.copyOf(members.keySet());
    }

    private int part(ExpertKey k) {
        return parts == 1 ? 0 : k.layer();
    }

    /**
     * Admits {@code key} from its host {@code segments}, evicting the policy's victim among members that {@code evictable}
     * accepts (and that no lease reads) when the partition is full. Returns the slot, or null when every member is in
     * use (the caller then computes from host memory this time).
     */
    public FastSlot admit(ExpertKey key, MemorySegment[] segments, long time, Predicate<ExpertKey> evictable) {
        FastSlot have = members.get(key);
        if (have != null) return have;
        int p = part(key);
        if (count[p] >= capacity) {
            List<ExpertKey> cands = new ArrayList<>();
            for (ExpertKey k : members.keySet()) {
                if (part(k) == p && !leases.containsKey(k) && evictable.test(k)) cands.add(k);
            }
            if (cands.isEmpty()) return null;
            ExpertKey v = policy.chooseVictim(cands, time);
            if (!cands.contains(v)) {
                throw new IllegalStateException("fast policy " + policy.name() + " chose " + v + ", not an evictable member");
            }
            drop(v);
        }
        FastSlot s = tier.admit(key, segments);
        stats.promoted(s.bytesCopied());
        members.put(key, s);
        count[p]++;
        policy.onInsert(key, time);
        return s;
    }

    /**
     * {@link #admit}, and when that gives a slot, a {@link #lease} on it: what a store does for each acquire. The caller
     * ends the lease with {@link #unlease} when the handle reading the slot closes.
     */
    public FastSlot admitLeased(ExpertKey key, MemorySegment[] segments, long time, Predicate<ExpertKey> evictable) {
        FastSlot s = admit(key, segments, time, evictable);
        if (s != null) lease(key);
        return s;
    }

    /** A lease now reads {@code key}'s fast copy: it cannot be evicted until {@link #unlease}. */
    public void lease(ExpertKey key) {
        leases.merge(key, 1, Integer::sum);
    }

    /** A lease of {@code key}'s fast copy ended; the tier hears of the last one (it orders reuse after the compute). */
    public void unlease(ExpertKey key) {
        Integer n = leases.get(key);
        if (n == null) throw new IllegalStateException(key + ": no lease on its fast copy to end");
        if (n == 1) leases.remove(key);
        else leases.put(key, n - 1);
        if (members.containsKey(key)) tier.released(key);
    }

    /** Drops a member (the policy's victim, or because its host slot goes). */
    public void drop(ExpertKey key) {
        if (members.remove(key) == null) return;
        if (leases.containsKey(key)) throw new IllegalStateException(key + ": evicted from the fast tier while a lease reads it");
        tier.evict(key);
        count[part(key)]--;
        policy.onEvict(key);
        stats.fastEviction();
    }

    public String describe() {
        return tier.describe();
    }

    public void close() {
        members.clear();
        tier.close();
    }
}
