// Belady's MIN: evict the candidate whose next request is furthest in the future (needs the future).
package io.strata.tiering.policy;

import io.strata.tiering.ExpertKey;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The offline optimum for demand paging, usable only in the simulator: it is built from the whole request
 * sequence and must see exactly that sequence through {@link #onAccess}, in order (it checks).
 */
public final class BeladyPolicy implements EvictionPolicy {
    private static final int NEVER = PlannedRequests.NEVER;
    private final PlannedRequests plan;
    private final Map<ExpertKey, Integer> nextOf = new HashMap<>();

    /** @param requests every request of the replay, in the order the simulator will issue them */
    public BeladyPolicy(List<ExpertKey> requests) {
        this.plan = new PlannedRequests(requests);
    }

    @Override
    public String name() {
        return "belady";
    }

    @Override
    public void onAccess(ExpertKey key, long time) {
        nextOf.put(key, plan.advance(key, "Belady"));
    }

    @Override
    public void onInsert(ExpertKey key, long time) {}

    @Override
    public void onEvict(ExpertKey key) {}

    @Override
    public ExpertKey chooseVictim(List<ExpertKey> candidates, long time) {
        ExpertKey best = candidates.getFirst();
        int far = -1;
        for (ExpertKey k : candidates) {
            int n = nextOf.getOrDefault(k, NEVER);
            if (n > far) {
                far = n;
                best = k;
            }
        }
        return best;
    }
}
