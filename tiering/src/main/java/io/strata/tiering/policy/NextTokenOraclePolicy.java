// An oracle-assisted policy for the simulator: a fallback policy plus perfect knowledge of the next token's routing.
package io.strata.tiering.policy;

import io.strata.tiering.ExpertKey;
import io.strata.tiering.trace.TraceStep;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A fallback policy helped by a perfect predictor of the next token's routing: Belady inside a window of the next
 * {@code window} steps, the fallback's choice beyond it. With the window one token's worth of steps (the trace's layers), a per-layer
 * cache at (token t, layer l) sees exactly the experts of (t + 1, l): the one fact an online policy would have to
 * predict. Usable only in the simulator; like {@link BeladyPolicy} it must see exactly the planned request
 * sequence through {@link #onAccess}, in order (it checks).
 *
 * <p>Victim: among the candidates with no request in the window, the fallback's choice; only if every candidate
 * is requested inside the window, the one requested last.
 *
 * <p>It is <em>not</em> a bound on online policies (it was once reported as one, and scored below LFU on traces
 * where its fallback, LFU without aging, is a poor choice among the unseen candidates): a perfect next-token
 * predictor only says which candidates are safe for one token; which of the others to evict is still the
 * fallback's guess. Reported as {@code next-token-oracle}: what the fallback reaches with that predictor.
 */
public final class NextTokenOraclePolicy implements EvictionPolicy {
    private static final int NEVER = PlannedRequests.NEVER;
    private final PlannedRequests plan;
    private final int[] stepOf;   // request index -> step index
    private final int window;
    private final Map<ExpertKey, Integer> nextOf = new HashMap<>();
    private final EvictionPolicy fallback;

    /**
     * @param steps  every step of the replay, in order (the simulator issues their experts in this order)
     * @param window steps of the future the policy sees, after the current one (≥ 1)
     */
    public NextTokenOraclePolicy(List<TraceStep> steps, int window) {
        this(steps, window, new LfuPolicy());
    }

    /**
     * @param steps    every step of the replay, in order (the simulator issues their experts in this order)
     * @param window   steps of the future the policy sees, after the current one (≥ 1)
     * @param fallback chooses among the candidates not requested in the window; told of every event
     */
    public NextTokenOraclePolicy(List<TraceStep> steps, int window, EvictionPolicy fallback) {
        this.fallback = fallback;
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
        return "next-token-oracle";
    }

    @Override
    public void onAccess(ExpertKey key, long time) {
        nextOf.put(key, plan.advance(key, "next-token oracle"));
        fallback.onAccess(key, time);
    }

    @Override
    public void onRouting(int layer, int[] experts, float[] weights, long time) {
        fallback.onRouting(layer, experts, weights, time);
    }

    @Override
    public void onInsert(ExpertKey key, long time) {
        fallback.onInsert(key, time);
    }

    @Override
    public void onEvict(ExpertKey key) {
        fallback.onEvict(key);
    }

    @Override
    public ExpertKey chooseVictim(List<ExpertKey> candidates, long time) {
        int current = plan.cursor() == 0 ? 0 : stepOf[plan.cursor() - 1];
        List<ExpertKey> unseen = new java.util.ArrayList<>(candidates.size());
        ExpertKey latest = candidates.getFirst();
        int far = -1;
        for (ExpertKey k : candidates) {
            int n = nextOf.getOrDefault(k, NEVER);
            boolean seenAhead = n != NEVER && stepOf[n] - current <= window;
            if (!seenAhead) {
                unseen.add(k);
            } else if (n > far) {
                far = n;
                latest = k;
            }
        }
        return unseen.isEmpty() ? latest : fallback.chooseVictim(unseen, time);
    }
}
