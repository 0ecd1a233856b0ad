// Trains the learned policy on a trace's training tokens and chooses, on an inner split of them, what it runs.
package io.strata.tiering.replay;

import io.strata.tiering.policy.LearnedPolicy;
import io.strata.tiering.policy.Policies;
import io.strata.tiering.trace.RoutingTrace;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The learned policy's training procedure, all on tokens {@code [0, split)} (never the counted ones):
 * <ol>
 * <li>Inner split: the MLP is trained on tokens {@code [0, inner)}, {@code inner = floor(INNER × split)}, and for
 *     each cache configuration (slots, pinning, global) the MLP and every baseline of {@link Policies#BASELINES} are
 *     replayed on tokens {@code [0, split)}, counting {@code [inner, split)}. The candidate with the most hits is
 *     the choice for that configuration (ties: the MLP, then the baselines in their order): the MLP only runs where
 *     it beat every baseline on tokens it was not trained on, else the best baseline does — the floor.</li>
 * <li>The MLP is retrained on {@code [0, split)} with the same options; the choices go with it.</li>
 * </ol>
 * Deterministic: the MLP's training is seeded ({@code options.training().seed()}) and the replays have no randomness.
 */
public final class LearnedSelection {
    /** Share of the training tokens the inner MLP trains on; the rest validates. */
    public static final double INNER = 0.7;

    private LearnedSelection() {}

    /**
     * @param slots   the cache sizes to choose for
     * @return the model trained on {@code [0, split)} with one choice per slots value
     */
    public static LearnedPolicy.Model train(RoutingTrace trace, int split, int[] slots, TraceReplay.Pinning pinning,
                                            boolean global, LearnedPolicy.Options options) {
        if (split < 2) {
            throw new IllegalArgumentException("expected at least 2 training tokens, found " + split);
        }
        int inner = (int) Math.floor(INNER * split);
        RoutingTrace train = new RoutingTrace(trace.model(), trace.numLayers(), trace.numExperts(), trace.topK(),
                trace.tokens(0, split));
        LearnedPolicy.Model innerModel = LearnedPolicy.train(train, inner, options);
        List<String> candidates = new ArrayList<>();
        candidates.add(LearnedPolicy.Choice.MLP);
        candidates.addAll(Policies.BASELINES);
        List<LearnedPolicy.Choice> choices = new ArrayList<>();
        for (int sl : slots) {
            Map<String, Double> rates = new LinkedHashMap<>();
            String best = null;
            long bestHits = -1;
            for (String c : candidates) {
                TraceReplay.Result r = TraceReplay.simulate(train, new LearnedPolicy(innerModel, "learned", c, !global),
                        sl, global, pinning, inner, Integer.MAX_VALUE);
                rates.put(c, r.hitRate());
                if (r.hits() > bestHits) {
                    bestHits = r.hits();
                    best = c;
                }
            }
            choices.add(new LearnedPolicy.Choice(sl, pinning.label(), global, best, rates));
        }
        return LearnedPolicy.train(trace, split, options).withChoices(choices);
    }
}
