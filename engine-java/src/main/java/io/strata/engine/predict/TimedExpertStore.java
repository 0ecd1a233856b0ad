// A decorator that times every acquire of an ExpertStore: stall statistics for stores that keep none.
package io.strata.engine.predict;

import io.strata.tiering.ExpertHandle;
import io.strata.tiering.ExpertStore;
import io.strata.tiering.Tier;
import io.strata.tiering.stats.StoreStats;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Forwards everything to the wrapped store; the wall time of each acquire() is its stall (a hit returns at once, a
 * miss waits on its load). prefetch(), beginStep(), stats() and (when the delegate supports it) cancelPrefetch()
 * pass through.
 */
public final class TimedExpertStore implements ExpertStore, StallStatistics, PrefetchControl {
    private final ExpertStore delegate;
    private final AtomicLongArray stall, misses, acquires; // (layers)

    public TimedExpertStore(ExpertStore delegate) {
        this.delegate = delegate;
        int L = delegate.numLayers();
        stall = new AtomicLongArray(L);
        misses = new AtomicLongArray(L);
        acquires = new AtomicLongArray(L);
    }

    public ExpertStore delegate() {
        return delegate;
    }

    @Override
    public int numLayers() {
        return delegate.numLayers();
    }

    @Override
    public int numExperts() {
        return delegate.numExperts();
    }

    @Override
    public ExpertHandle acquire(int layer, int expert) {
        long t0 = System.nanoTime();
        ExpertHandle h = delegate.acquire(layer, expert);
        stall.addAndGet(layer, System.nanoTime() - t0);
        acquires.incrementAndGet(layer);
        if (h.servedFrom() == Tier.SSD) misses.incrementAndGet(layer);
        return h;
    }

    @Override
    public void prefetch(int layer, int expert) {
        delegate.prefetch(layer, expert);
    }

    @Override
    public void beginStep(long step) {
        delegate.beginStep(step);
    }

    @Override
    public StoreStats stats() {
        return delegate.stats();
    }

    @Override
    public void cancelPrefetch(int layer, int expert) {
        if (delegate instanceof PrefetchControl c) c.cancelPrefetch(layer, expert);
    }

    @Override
    public long stallNanos(int layer) {
        return stall.get(layer);
    }

    @Override
    public long misses(int layer) {
        return misses.get(layer);
    }

    @Override
    public long acquires(int layer) {
        return acquires.get(layer);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
