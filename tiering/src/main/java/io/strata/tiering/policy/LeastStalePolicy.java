// Least-stale eviction: evict the expert whose expected next use, from its reuse-distance history, is furthest.
package io.strata.tiering.policy;

import io.strata.tiering.ExpertKey;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every expert keeps a histogram of its reuse distances (tokens between consecutive requests of it). At time t an
 * expert last requested at {@code last} has age {@code a = t - last}; its expected time to the next request is the
 * mean residual {@code E[D - a | D > a]} of its reuse distance D. The candidate with the largest expected residual is
 * evicted (ties: least recently requested).
 *
 * <p>The histogram is smoothed with its layer's pooled histogram ({@value #PRIOR} pseudo-observations), so an
 * expert with few reuses borrows its layer's shape. When no recorded distance exceeds the age, the expert has been
 * idle longer than anything seen: its expected residual is taken as {@code a + 1} plus the largest distance seen
 * (it sorts after every expert with an observed longer distance). The layer's histogram takes a token's reuses only
 * once the token is over, so a decision does not depend on whether the step's own requests were reported before it
 * (the replay) or after (a store that loads announced misses before they are acquired). Buckets: distances 1..{@value #EXACT} exact, then
 * half-octaves up to 2^20 tokens, each represented by its geometric midpoint. Never-requested experts go first.
 */
public final class LeastStalePolicy implements EvictionPolicy {
    static final int EXACT = 32;
    private static final int BUCKETS = EXACT + 2 * 15;
    /** Weight of the layer's pooled histogram, in observations. */
    static final double PRIOR = 2;
    private static final double[] MID = new double[BUCKETS];
    private static final double[] LOW = new double[BUCKETS]; // smallest distance in the bucket

    static {
        for (int b = 0; b < BUCKETS; b++) {
            if (b < EXACT) {
                LOW[b] = b + 1;
                MID[b] = b + 1;
            } else {
                double lo = EXACT * Math.pow(2, (b - EXACT) / 2.0);
                double hi = EXACT * Math.pow(2, (b - EXACT + 1) / 2.0);
                LOW[b] = Math.floor(lo) + 1;
                MID[b] = Math.sqrt(lo * hi);
            }
        }
    }

    static int bucket(long d) {
        if (d <= EXACT) {
            return (int) Math.max(0, d - 1);
        }
        int b = EXACT + (int) Math.floor(2 * (Math.log((double) d / EXACT) / Math.log(2)));
        return Math.min(BUCKETS - 1, b);
    }

    private static final class Hist {
        final double[] n = new double[BUCKETS];
        double total;
        long maxSeen;
    }

    private final Map<ExpertKey, Hist> hist = new HashMap<>();
    private final Map<Integer, Hist> layerHist = new HashMap<>();
    private final java.util.ArrayDeque<long[]> layerPending = new java.util.ArrayDeque<>(); // (time, layer, distance)
    private final Map<ExpertKey, Long> last = new HashMap<>();
    private final Map<ExpertKey, Long> lastSeq = new HashMap<>();
    private long seq;

    @Override
    public String name() {
        return "least-stale";
    }

    @Override
    public void onAccess(ExpertKey key, long time) {
        Long l = last.get(key);
        if (l != null && time > l) {
            long d = time - l;
            add(hist.computeIfAbsent(key, k -> new Hist()), d);
            layerPending.add(new long[] {time, key.layer(), d});
        }
        last.put(key, time);
        lastSeq.put(key, ++seq);
    }

    private static void add(Hist x, long d) {
        x.n[bucket(d)]++;
        x.total++;
        x.maxSeen = Math.max(x.maxSeen, d);
    }

    /** Moves the reuses of tokens before {@code time} into their layers' histograms. */
    private void flush(long time) {
        while (!layerPending.isEmpty() && layerPending.peekFirst()[0] < time) {
            long[] r = layerPending.pollFirst();
            add(layerHist.computeIfAbsent((int) r[1], k -> new Hist()), r[2]);
        }
    }

    @Override
    public void onInsert(ExpertKey key, long time) {}

    @Override
    public void onEvict(ExpertKey key) {}

    /** Expected tokens until {@code key}'s next request, seen at {@code time}; +infinity if never requested. */
    public double expectedResidual(ExpertKey key, long time) {
        Long l = last.get(key);
        if (l == null) {
            return Double.POSITIVE_INFINITY;
        }
        flush(time);
        long age = time - l;
        Hist h = hist.get(key);
        Hist lh = layerHist.get(key.layer());
        double w = lh == null || lh.total == 0 ? 0 : PRIOR / lh.total;
        double mass = 0;
        double sum = 0;
        for (int b = bucket(Math.max(age, 1)); b < BUCKETS; b++) {
            double c = (h == null ? 0 : h.n[b]) + (lh == null ? 0 : w * lh.n[b]);
            if (c == 0) {
                continue;
            }
            // The bucket of the age holds distances on both sides of it: count only its part beyond the age.
            double mid = MID[b];
            if (mid <= age) {
                continue;
            }
            mass += c;
            sum += c * (mid - age);
        }
        if (mass == 0) {
            long seen = Math.max(h == null ? 0 : h.maxSeen, lh == null ? 0 : lh.maxSeen);
            return age + 1 + seen;
        }
        return sum / mass;
    }

    @Override
    public ExpertKey chooseVictim(List<ExpertKey> candidates, long time) {
        ExpertKey best = candidates.getFirst();
        double far = Double.NEGATIVE_INFINITY;
        long bestSeq = Long.MAX_VALUE;
        for (ExpertKey k : candidates) {
            double r = expectedResidual(k, time);
            long s = lastSeq.getOrDefault(k, 0L);
            if (r > far || (r == far && s < bestSeq)) {
                far = r;
                bestSeq = s;
                best = k;
            }
        }
        return best;
    }
}
