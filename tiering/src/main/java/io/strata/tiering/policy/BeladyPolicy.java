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
    private static final int NEVER = Integer.MAX_VALUE;
    private final List<ExpertKey> requests;
    /** nextUse[i]: index of the next request for requests[i] after i, or NEVER. */
    private final int[] nextUse;
    private final Map<ExpertKey, Integer> nextOf = new HashMap<>();
    private int cursor;

    /** @param requests every request of the replay, in the order the simulator will issue them */
    public BeladyPolicy(List<ExpertKey> requests) {
        this.requests = List.copyOf(requests);
        this.nextUse = new int[requests.size()];
        Map<ExpertKey, Integer> seen = new HashMap<>();
        for (int i = requests.size() - 1; i >= 0; i--) {
            ExpertKey k = requests.get(i);
            nextUse[i] = seen.getOrDefault(k, NEVER);
            seen.put(k, i);
        }
    }

    @Override
    public String name() {
        return "belady";
    }

    @Override
    public void onAccess(ExpertKey key, long time) {
        if (cursor >= requests.size() || !requests.get(cursor).equals(key)) {
            throw new IllegalStateException("Belady replay out of step at request " + cursor + ": expected "
                    + (cursor < requests.size() ? requests.get(cursor) : "end of trace") + ", found " + key);
        }
        nextOf.put(key, nextUse[cursor]);
        cursor++;
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
