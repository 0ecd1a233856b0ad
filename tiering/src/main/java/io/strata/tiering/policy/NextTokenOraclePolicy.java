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
    private static final int NEVER = PlannedRequests.NEVER;
    private final PlannedRequests plan;
    private final int[] stepOf;   // request index -> step index
    private final int window;
    private final Map<ExpertKey, Integer> nextOf = new HashMap<>();
    private final Map<ExpertKey, Long> uses = new HashMap<>();

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
        this.plan = new PlannedRequests(reqs);
        this.stepOf = stepIdx.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String name() {
        return "next-token";
    }

    @Override
    public void onAccess(ExpertKey key, long time) {
        nextOf.put(key, plan.advance(key, "next-token oracle"));
        uses.merge(key, 1L, Long::sum);
    }

    @Override
    public void onInsert(ExpertKey key, long time) {}

    @Override
    public void onEvict(ExpertKey key) {}

    @Override
    public ExpertKey chooseVictim(List<ExpertKey> candidates, long time) {
        int current = plan.cursor() == 0 ? 0 : stepOf[plan.cursor() - 1];
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
