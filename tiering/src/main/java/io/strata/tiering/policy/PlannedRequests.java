// The whole request sequence of a replay, for the simulator-only policies that look into the future.
package io.strata.tiering.policy;

import io.strata.tiering.ExpertKey;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The planned requests and, for each, where the same expert is requested next. A policy built on it must be told
 * of exactly these requests, in order ({@link #advance} checks).
 */
final class PlannedRequests {
    /** No later request. */
    static final int NEVER = Integer.MAX_VALUE;
    private final List<ExpertKey> requests;
    private final int[] nextUse; // request index -> index of the next request of the same expert, or NEVER
    private int cursor;

    PlannedRequests(List<ExpertKey> requests) {
        this.requests = List.copyOf(requests);
        this.nextUse = new int[this.requests.size()];
        Map<ExpertKey, Integer> seen = new HashMap<>();
        for (int i = this.requests.size() - 1; i >= 0; i--) {
            ExpertKey k = this.requests.get(i);
            nextUse[i] = seen.getOrDefault(k, NEVER);
            seen.put(k, i);
        }
    }

    /**
     * Moves past the next planned request, which must be {@code key}; returns the index of the next request of
     * the same expert, or {@link #NEVER}.
     *
     * @param who the policy's name, for the error
     */
    int advance(ExpertKey key, String who) {
        if (cursor >= requests.size() || !requests.get(cursor).equals(key)) {
            throw new IllegalStateException(who + " replay out of step at request " + cursor + ": expected "
                    + (cursor < requests.size() ? requests.get(cursor) : "end of trace") + ", found " + key);
        }
        return nextUse[cursor++];
    }

    /** Requests passed so far. */
    int cursor() {
        return cursor;
    }
}
