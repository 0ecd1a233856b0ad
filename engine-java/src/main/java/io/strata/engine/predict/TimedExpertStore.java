// A decorator that times every acquire of an ExpertStore: stall statistics for stores that keep none.
package io.strata.engine.predict;

import io.strata.tiering.ExpertHandle;
import io.strata.tiering.ExpertStore;
import io.strata.tiering.Tier;
import io.strata.tiering.stats.StoreStats;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Forwards everything to the wrapped store; the wall time of each acquire() is its stall (a hit returns at once, a
 * miss waits on its load). prefetch(), request(), cancelPrefetch(), beginStep() and stats() pass through. A listener (the
 * {@link Prefetcher}) hears of every acquire with its tier and stall, to split the stall by why it happened.
 */
public final class TimedExpertStore implements ExpertStore, StallStatistics {
    /** Told of each acquire once it returns: the tier that served it and how long it blocked (ns). */
    public interface AcquireListener {
        void onAcquire(int layer, int expert, Tier servedFrom, long stallNanos);
    }

    private final ExpertStore delegate;
    private final AtomicLongArray stall, misses, acquires; // (layers)
    private volatile AcquireListener listener;

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

    /** Sets the one listener of acquires (null: none). */
    public void listen(AcquireListener l) {
        this.listener = l;
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
        long waited = System.nanoTime() - t0;
        stall.addAndGet(layer, waited);
        acquires.incrementAndGet(layer);
        if (h.servedFrom() == Tier.SSD) misses.incrementAndGet(layer);
        AcquireListener l = listener;
        if (l != null) l.onAcquire(layer, expert, h.servedFrom(), waited);
        return h;
    }

    @Override
    public void prefetch(int layer, int expert) {
        delegate.prefetch(layer, expert);
    }

    @Override
    public void request(int layer, int... experts) {
        delegate.request(layer, experts);
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
        delegate.cancelPrefetch(layer, expert);
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
