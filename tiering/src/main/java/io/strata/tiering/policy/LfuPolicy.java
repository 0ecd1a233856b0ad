// Least frequently used with aging: evict the candidate with the smallest (decayed) request count.
package io.strata.tiering.policy;

import io.strata.tiering.ExpertKey;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * LFU over the whole request history (counts survive eviction, "perfect LFU": an expert's popularity is a
 * property of the model and the prompt, not of the cache), with aging: every {@code agingPeriod} requests all
 * counts are halved, so experts popular long ago fade. {@code agingPeriod = 0} disables aging. Ties go to the
 * least recently used candidate.
 */
public final class LfuPolicy implements EvictionPolicy {
    /** Default: halve every 4096 requests (~64 tokens of a 32-layer top-2 model). */
    public static final int DEFAULT_AGING_PERIOD = 4096;

    private final int agingPeriod;
    private final Map<ExpertKey, Double> count = new HashMap<>();
    private final Map<ExpertKey, Long> lastSeq = new HashMap<>();
    private long seq;

    public LfuPolicy() {
        this(DEFAULT_AGING_PERIOD);
    }

    public LfuPolicy(int agingPeriod) {
        if (agingPeriod < 0) {
            throw new IllegalArgumentException("aging period must be >= 0 requests, found " + agingPeriod);
        }
        this.agingPeriod = agingPeriod;
    }

    @Override
    public String name() {
        return "lfu";
    }

    @Override
    public void onAccess(ExpertKey key, long time) {
        seq++;
        count.merge(key, 1.0, Double::sum);
        lastSeq.put(key, seq);
        if (agingPeriod > 0 && seq % agingPeriod == 0) {
            count.replaceAll((k, c) -> c / 2);
        }
    }

    @Override
    public void onInsert(ExpertKey key, long time) {}

    @Override
    public void onEvict(ExpertKey key) {}

    /** The current (decayed) count of {@code key}. */
    public double count(ExpertKey key) {
        return count.getOrDefault(key, 0.0);
    }

    @Override
    public ExpertKey chooseVictim(List<ExpertKey> candidates, long time) {
        ExpertKey best = candidates.getFirst();
        double bestCount = Double.MAX_VALUE;
        long bestSeq = Long.MAX_VALUE;
        for (ExpertKey k : candidates) {
            double c = count.getOrDefault(k, 0.0);
            long s = lastSeq.getOrDefault(k, 0L);
            if (c < bestCount || (c == bestCount && s < bestSeq)) {
                bestCount = c;
                bestSeq = s;
                best = k;
            }
        }
        return best;
    }
}
