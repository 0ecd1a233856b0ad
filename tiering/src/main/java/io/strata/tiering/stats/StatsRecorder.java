// Thread-safe counters behind StoreStats (LongAdder: many acquiring threads, rare snapshots).
package io.strata.tiering.stats;

import io.strata.tiering.Tier;
import java.util.concurrent.atomic.LongAdder;

public final class StatsRecorder {
    private final LongAdder[] served = adders(Tier.values().length);
    private final LongAdder[] waitNs = adders(Tier.values().length);
    private final LongAdder ssdBytes = new LongAdder();
    private final LongAdder ssdReads = new LongAdder();
    private final LongAdder ssdReadNs = new LongAdder();
    private final LongAdder promoted = new LongAdder();
    private final LongAdder joined = new LongAdder();
    private final LongAdder prefetchIssued = new LongAdder();
    private final LongAdder prefetchUseful = new LongAdder();
    private final LongAdder prefetchDropped = new LongAdder();
    private final LongAdder prefetchLate = new LongAdder();
    private final LongAdder prefetchCancelled = new LongAdder();
    private final LongAdder hostEvictions = new LongAdder();
    private final LongAdder fastEvictions = new LongAdder();
    private final LongAdder loadFailures = new LongAdder();
    private final LongAdder[] layerAcquires, layerMisses, layerWaitNs; // (layers)

    /** Counters without a per-layer breakdown. */
    public StatsRecorder() {
        this(0);
    }

    /** Counters with per-layer acquires, SSD misses and wait for {@code layers} layers. */
    public StatsRecorder(int layers) {
        layerAcquires = adders(layers);
        layerMisses = adders(layers);
        layerWaitNs = adders(layers);
    }

    private static LongAdder[] adders(int n) {
        LongAdder[] a = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }

    /** One acquire served by {@code tier} after blocking {@code waitedNs}. */
    public void acquire(Tier tier, long waitedNs) {
        served[tier.ordinal()].increment();
        waitNs[tier.ordinal()].add(waitedNs);
    }

    /** One acquire of {@code layer} served by {@code tier} after blocking {@code waitedNs} (the demand stall). */
    public void acquire(int layer, Tier tier, long waitedNs) {
        acquire(tier, waitedNs);
        if (layer < layerAcquires.length) {
            layerAcquires[layer].increment();
            layerWaitNs[layer].add(waitedNs);
            if (tier == Tier.SSD) layerMisses[layer].increment();
        }
    }

    public void ssdRead(long bytes, long ns) {
        ssdBytes.add(bytes);
        ssdReads.increment();
        ssdReadNs.add(ns);
    }

    public void promoted(long bytes) {
        promoted.add(bytes);
    }

    public void joinedLoad() {
        joined.increment();
    }

    public void prefetchIssued() {
        prefetchIssued.increment();
    }

    public void prefetchUseful() {
        prefetchUseful.increment();
    }

    public void prefetchDropped() {
        prefetchDropped.increment();
    }

    public void prefetchLate() {
        prefetchLate.increment();
    }

    public void prefetchCancelled() {
        prefetchCancelled.increment();
    }

    public void hostEviction() {
        hostEvictions.increment();
    }

    public void fastEviction() {
        fastEvictions.increment();
    }

    public void loadFailure() {
        loadFailures.increment();
    }

    private static long[] sums(LongAdder[] a) {
        long[] s = new long[a.length];
        for (int i = 0; i < s.length; i++) s[i] = a[i].sum();
        return s;
    }

    public StoreStats snapshot() {
        long[] s = new long[served.length];
        long[] w = new long[served.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = served[i].sum();
            w[i] = waitNs[i].sum();
        }
        return new StoreStats(s, w, sums(layerAcquires), sums(layerMisses), sums(layerWaitNs), ssdBytes.sum(), ssdReads.sum(), ssdReadNs.sum(), promoted.sum(), joined.sum(),
                prefetchIssued.sum(), prefetchUseful.sum(), prefetchDropped.sum(), prefetchLate.sum(), prefetchCancelled.sum(), hostEvictions.sum(), fastEvictions.sum(), loadFailures.sum());
    }
}
