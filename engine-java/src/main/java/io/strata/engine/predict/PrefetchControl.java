// Optional store capability: withdraw a prefetch hint that is no longer useful.
package io.strata.engine.predict;

/**
 * A store whose prefetch queue can drop a pending hint implements this (or is wrapped by an adapter that does).
 * The {@link Prefetcher} calls it once a layer has been routed, for every expert it hinted for that layer that
 * the router did not choose: a load not yet started is then skipped. A load already under way may finish.
 */
public interface PrefetchControl {
    /** Drops the pending prefetch of (layer, expert) if it has not started; never blocks. */
    void cancelPrefetch(int layer, int expert);
}
