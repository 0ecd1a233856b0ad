// Uniformly random eviction: the floor every other policy should beat.
package io.strata.tiering.policy;

import io.strata.tiering.ExpertKey;
import java.util.List;
import java.util.SplittableRandom;

/** Evicts a uniformly random candidate (seeded, so replays are reproducible). */
public final class RandomPolicy implements EvictionPolicy {
    private final SplittableRandom random;

    public RandomPolicy(long seed) {
        this.random = new SplittableRandom(seed);
    }

    @Override
    public String name() {
        return "random";
    }

    @Override
    public void onAccess(ExpertKey key, long time) {}

    @Override
    public void onInsert(ExpertKey key, long time) {}

    @Override
    public void onEvict(ExpertKey key) {}

    @Override
    public ExpertKey chooseVictim(List<ExpertKey> candidates, long time) {
        return candidates.get(random.nextInt(candidates.size()));
    }
}
