// A bound between the online policies and Belady: perfect knowledge of one token's worth of future requests.
package io.strata.tiering.policy;

import io.strata.tiering.ExpertKey;
import io.strata.tiering.trace.TraceStep;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a perfect predictor of the next token's routing could reach: Belady inside a window of the next
 * {@code window} steps, LFU beyond it. With the window one token's worth of steps (the trace's layers), a per-layer
 * cache at (token t, layer l) sees exactly the experts of (t + 1, l): the one fact an online policy would have to
 * predict. Usable only in the simulator; like {@link BeladyPolicy} it must see exactly the planned request
 * sequence through {@link #onAccess}, in order (it checks).
 *
 * <p>Victim: a candidate with no request in the window, the least used so far (ties: the first candidate);
 * only if every candidate is requested inside the window, the one requested last.
 */
public final class NextTokenOraclePolicy implements EvictionPolicy {
    private static final int NEVER = Integer.MAX_VALUE;
    private final List<ExpertKey> requests;
    private final int[] stepOf;   // request index -> step index
    private final int[] nextUse;  // request index -> index of the next request of the same expert, or NEVER
    private final int window;
    private final Map<ExpertKey, Integer> nextOf = new HashMap<>();
    private final Map<ExpertKey, Long> uses = new HashMap<>();
    private int cursor;

    /**
     * @param steps  every step of the replay, in order (the simulator issues their experts in this order)
     * @param window steps of the future the policy sees, after the current one (≥ 1)
     */
    public NextTokenOraclePolicy(List<TraceStep> steps, int window) {
        if (window < 1) {
            throw new IllegalArgumentException("expected a window of at least 1 step, found " + window);
        }
        this.window = window;
        List<ExpertKey> reqs = new java.util.ArrayList<>();
        List<Integer> stepIdx = new java.util.ArrayList<>();
        for (int s = 0; s < steps.size(); s++) {
            for (int e : steps.get(s).experts()) {
                reqs.add(new ExpertKey(steps.get(s).layer(), e));
                stepIdx.add(s);
            }
        }
        this.requests = List.copyOf(reqs);
        this.stepOf = stepIdx.stream().mapToInt(Integer::intValue).toArray();
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
        return "next-token";
    }

    @Override
    public void onAccess(ExpertKey key, long time) {
        if (cursor >= requests.size() || !requests.get(cursor).equals(key)) {
            throw new IllegalStateException("next-token oracle out of step at request " + cursor + ": expected "
                    + (cursor < requests.size() ? requests.get(cursor) : "end of trace") + ", found " + key);
        }
        nextOf.put(key, nextUse[cursor]);
        uses.merge(key, 1L, Long::sum);
        cursor++;
    }

    @Override
    public void onInsert(ExpertKey key, long time) {}

    @Override
    public void onEvict(ExpertKey key) {}

    @Override
    public ExpertKey chooseVictim(List<ExpertKey> candidates, long time) {
        int current = cursor == 0 ? 0 : stepOf[cursor - 1];
        ExpertKey coldest = null;
        long fewest = Long.MAX_VALUE;
        ExpertKey latest = candidates.getFirst();
        int far = -1;
        for (ExpertKey k : candidates) {
            int n = nextOf.getOrDefault(k, NEVER);
            boolean seenAhead = n != NEVER && stepOf[n] - current <= window;
            if (!seenAhead) {
                long u = uses.getOrDefault(k, 0L);
                if (u < fewest) {
                    fewest = u;
                    coldest = k;
                }
            } else if (n > far) {
                far = n;
                latest = k;
            }
        }
        return coldest != null ? coldest : latest;
    }
}
