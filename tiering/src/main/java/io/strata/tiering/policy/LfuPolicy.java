// Least frequently used, with or without aging: evict the candidate with the smallest (aged) request count.
package io.strata.tiering.policy;

import io.strata.tiering.ExpertKey;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * LFU over the whole request history (counts survive eviction, "perfect LFU": an expert's popularity is a
 * property of the model and the prompt, not of the cache). Two variants, one class:
 * <ul>
 * <li>{@code lfu}: no aging, counts only grow;</li>
 * <li>{@code lfu-aging}: every {@code halfLife} tokens (time units of the caller: the token index) all counts are
 *     halved, so experts popular long ago fade; the half-life is the option
 *     ({@code lfu-aging:H}, default {@value #DEFAULT_HALF_LIFE} tokens — about the 4096 requests of a 32-layer top-2
 *     model that earlier versions halved after).</li>
 * </ul>
 * Ties go to the least recently used candidate.
 */
public final class LfuPolicy implements EvictionPolicy {
    /** Default half-life of {@code lfu-aging} (tokens). */
    public static final int DEFAULT_HALF_LIFE = 64;

    private final int halfLife;   // tokens, 0 = no aging
    private final Map<ExpertKey, Double> count = new HashMap<>();
    private final Map<ExpertKey, Long> lastSeq = new HashMap<>();
    private long seq;
    private long epoch;           // floor(time / halfLife) of the last halving

    /** LFU without aging. */
    public LfuPolicy() {
        this(0);
    }

    /** @param halfLife tokens after which all counts are halved; 0 = no aging */
    public LfuPolicy(int halfLife) {
        if (halfLife < 0) {
            throw new IllegalArgumentException("LFU half-life must be >= 0 tokens (0 = no aging), found " + halfLife);
        }
        this.halfLife = halfLife;
    }

    @Override
    public String name() {
        return halfLife == 0 ? "lfu" : "lfu-aging";
    }

    /** Tokens per halving, 0 = none. */
    public int halfLife() {
        return halfLife;
    }

    private void age(long time) {
        if (halfLife == 0) {
            return;
        }
        long e = Math.floorDiv(time, halfLife);
        if (e > epoch) {
            double f = Math.pow(0.5, Math.min(e - epoch, 1100));
            count.replaceAll((k, c) -> c * f);
            epoch = e;
        }
    }

    @Override
    public void onAccess(ExpertKey key, long time) {
        age(time);
        seq++;
        count.merge(key, 1.0, Double::sum);
        lastSeq.put(key, seq);
    }

    @Override
    public void onInsert(ExpertKey key, long time) {}

    @Override
    public void onEvict(ExpertKey key) {}

    /** The current (aged) count of {@code key}. */
    public double count(ExpertKey key) {
        return count.getOrDefault(key, 0.0);
    }

    @Override
    public ExpertKey chooseVictim(List<ExpertKey> candidates, long time) {
        age(time);
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
