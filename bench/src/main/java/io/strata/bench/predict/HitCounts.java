// Precision and recall of predicted expert sets against the experts actually routed.
package io.strata.bench.predict;

import io.strata.engine.predict.*;

/**
 * Accumulates, over many (prediction, truth) pairs of expert-id sets: true positives (predicted and routed),
 * predicted and routed counts. Duplicate ids within one set count once.
 */
public final class HitCounts {
    private long hits, predicted, actual;

    /** Adds one pair: predicted ids vs the ids routed. */
    public void add(int[] predictedIds, int[] actualIds) {
        int[] p = distinct(predictedIds), a = distinct(actualIds);
        predicted += p.length;
        actual += a.length;
        for (int x : p) for (int y : a) if (x == y) hits++;
    }

    public void add(long hits, long predicted, long actual) {
        this.hits += hits;
        this.predicted += predicted;
        this.actual += actual;
    }

    public void add(HitCounts o) {
        add(o.hits, o.predicted, o.actual);
    }

    private static int[] distinct(int[] ids) {
        return java.util.Arrays.stream(ids).distinct().toArray();
    }

    /** Predicted ids that were routed. */
    public long hits() {
        return hits;
    }

    public long predicted() {
        return predicted;
    }

    public long actual() {
        return actual;
    }

    /** hits / predicted, NaN when nothing was predicted. */
    public double precision() {
        return predicted == 0 ? Double.NaN : (double) hits / predicted;
    }

    /** hits / actual, NaN when nothing was routed. */
    public double recall() {
        return actual == 0 ? Double.NaN : (double) hits / actual;
    }
}
