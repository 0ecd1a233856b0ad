// Trace-replay cache simulator: hit rate of each eviction policy at each capacity.
package io.strata.tiering.replay;

import io.strata.tiering.ExpertKey;
import io.strata.tiering.policy.BeladyPolicy;
import io.strata.tiering.policy.EvictionPolicy;
import io.strata.tiering.policy.LearnedPolicy;
import io.strata.tiering.policy.NextTokenOraclePolicy;
import io.strata.tiering.policy.Policies;
import io.strata.tiering.policy.RandomPolicy;
import io.strata.tiering.trace.RoutingTrace;
import io.strata.tiering.trace.TraceStep;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Replays a routing trace against a demand-paged expert cache.
 *
 * <p>Model: requests are processed step by step in (token, layer) order and within a step in the trace's expert
 * order; a request is a hit if the expert is resident, otherwise it is loaded, evicting the policy's victim if the
 * cache is full. Which resident experts may be evicted while a step loads its misses is the {@link Pinning} mode:
 * only the step's experts already served ({@link Pinning#SERVED}, what the tiered store does when a layer acquires
 * its experts one after another in trace order), or every expert of the step ({@link Pinning#STEP}: the step's
 * resident experts are hits before any load, as in mixtral-offloading's {@code load_experts}). A step that asks for
 * more experts than the cache holds (a prefill step listing every expert) makes every resident expert a candidate
 * once none is left. Time is the token index.
 *
 * <p>Capacity: {@code slots} per layer, each layer its own cache (per-layer mode), or one pool of
 * {@code slots × numLayers} shared by all layers (global mode: same memory, any layer may take more).
 *
 * <p>Holdout: with a fraction h the learned policy trains on tokens {@code [0, split)}, split = floor(h × tokens),
 * and every policy replays the whole trace but only requests with token >= split are counted. Caches are thus
 * warm when counting starts, as they would be in a running engine; Belady still sees the whole future. Without
 * holdout every request is counted and the learned policy is trained on the whole trace (in-sample).
 */
public final class TraceReplay {
    private TraceReplay() {}

    /** Which resident experts a step protects while it loads its misses. */
    public enum Pinning {
        /** The experts of the step already served: a miss may evict an expert the same step asks for later. */
        SERVED,
        /** Every expert of the step: its resident experts are served (hits) before any of its misses loads. */
        STEP;

        /** Parses "served" or "step". */
        public static Pinning parse(String s) {
            return switch (s) {
                case "served" -> SERVED;
                case "step" -> STEP;
                default -> throw new IllegalArgumentException("expected pinning 'served' or 'step', found '" + s + "'");
            };
        }

        /** The CLI / JSON spelling: "served" or "step". */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** One cell of the table. */
    public record Result(String policy, int slots, boolean global, Pinning pinning, long requests, long hits) {
        public double hitRate() {
            return requests == 0 ? 0 : (double) hits / requests;
        }
    }

    /** The flattened request sequence in replay order. */
    public static List<ExpertKey> requests(RoutingTrace trace) {
        List<ExpertKey> out = new ArrayList<>((int) trace.numRequests());
        for (TraceStep s : trace.steps()) {
            for (int e : s.experts()) {
                out.add(new ExpertKey(s.layer(), e));
            }
        }
        return out;
    }

    /** {@link #simulate(RoutingTrace, EvictionPolicy, int, boolean, Pinning, int, int)} with served pinning, to the end. */
    public static Result simulate(RoutingTrace trace, EvictionPolicy policy, int slots, boolean global, int countFrom) {
        return simulate(trace, policy, slots, global, Pinning.SERVED, countFrom, Integer.MAX_VALUE);
    }

    /**
     * Replays {@code trace} with {@code policy} (fresh state) and counts requests with countFrom <= token < countTo.
     *
     * @param slots experts per layer (per-layer mode) or per layer on average (global mode)
     */
    public static Result simulate(RoutingTrace trace, EvictionPolicy policy, int slots, boolean global, Pinning pinning,
                                  int countFrom, int countTo) {
        if (slots < 1) {
            throw new IllegalArgumentException("expected slots >= 1, found " + slots);
        }
        int parts = global ? 1 : trace.numLayers();
        int capacity = global ? slots * trace.numLayers() : slots;
        List<List<ExpertKey>> cache = new ArrayList<>(parts);
        List<Set<ExpertKey>> member = new ArrayList<>(parts);
        for (int i = 0; i < parts; i++) {
            cache.add(new ArrayList<>());
            member.add(new HashSet<>());
        }
        long requests = 0;
        long hits = 0;
        Set<ExpertKey> pinned = new HashSet<>();
        List<ExpertKey> candidates = new ArrayList<>();
        for (TraceStep s : trace.steps()) {
            long time = s.token();
            int p = global ? 0 : s.layer();
            List<ExpertKey> c = cache.get(p);
            Set<ExpertKey> m = member.get(p);
            policy.onRouting(s.layer(), s.experts(), s.weights(), time);
            pinned.clear();
            if (pinning == Pinning.STEP) {
                for (int e : s.experts()) {
                    pinned.add(new ExpertKey(s.layer(), e));
                }
            }
            boolean counted = s.token() >= countFrom && s.token() < countTo;
            for (int e : s.experts()) {
                ExpertKey k = new ExpertKey(s.layer(), e);
                policy.onAccess(k, time);
                boolean hit = m.contains(k);
                if (counted) {
                    requests++;
                    if (hit) {
                        hits++;
                    }
                }
                if (!hit) {
                    if (c.size() >= capacity) {
                        candidates.clear();
                        for (ExpertKey r : c) {
                            if (!pinned.contains(r)) {
                                candidates.add(r);
                            }
                        }
                        if (candidates.isEmpty()) {
                            candidates.addAll(c);
                        }
                        ExpertKey victim = policy.chooseVictim(candidates, time);
                        if (!m.remove(victim)) {
                            throw new IllegalStateException(policy.name() + " chose " + victim + ", which is not resident");
                        }
                        c.remove(victim);
                        policy.onEvict(victim);
                    }
                    c.add(k);
                    m.add(k);
                    policy.onInsert(k, time);
                }
                pinned.add(k);
            }
        }
        return new Result(policy.name(), slots, global, pinning, requests, hits);
    }

    /** A full sweep: every policy at every capacity. */
    /** @param learned the learned policy's model (given or trained by the replay), null when it did not run */
    public record Report(String trace, int numLayers, int numExperts, int topK, int tokens, double holdout,
                         int countFromToken, boolean global, Pinning pinning, List<Result> results,
                         LearnedPolicy.Model learned) {
        public double hitRate(String policy, int slots) {
            return results.stream().filter(r -> r.policy().equals(policy) && r.slots() == slots)
                    .mapToDouble(Result::hitRate).findFirst().orElse(Double.NaN);
        }

        /**
         * Per slots value: the best of the baselines ({@link Policies#BASELINES}) that ran, the learned policy and
         * Belady, and the share of the gap from the best baseline to Belady the learned policy closes (NaN where
         * there is no gap, e.g. slots = top-k, or a policy did not run).
         */
        public List<Gap> gaps() {
            List<Gap> out = new ArrayList<>();
            for (int sl : results.stream().map(Result::slots).distinct().toList()) {
                String best = null;
                double bestRate = Double.NaN;
                for (String b : Policies.BASELINES) {
                    double v = hitRate(b, sl);
                    if (!Double.isNaN(v) && (best == null || v > bestRate)) {
                        best = b;
                        bestRate = v;
                    }
                }
                double learned = hitRate("learned", sl);
                double belady = hitRate("belady", sl);
                double gap = belady - bestRate;
                double closed = gap > 1e-12 ? (learned - bestRate) / gap : Double.NaN;
                out.add(new Gap(sl, best, bestRate, learned, belady, closed));
            }
            return out;
        }

        /** The gap rows as text. */
        public String gapTable() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-8s %-12s %8s %8s %8s %8s%n",
                    global ? "slots/L*" : "slots/L", "best base", "hit", "learned", "belady", "closed"));
            for (Gap x : gaps()) {
                sb.append(String.format(Locale.ROOT, "%-8d %-12s %8.4f %8.4f %8.4f %8s%n", x.slots(), x.bestBaseline(),
                        x.bestBaselineHitRate(), x.learned(), x.belady(),
                        Double.isNaN(x.gapClosed()) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * x.gapClosed())));
            }
            return sb.toString();
        }

        /** A plain-text table: one row per slots value, one column per policy. */
        public String table() {
            List<String> policies = results.stream().map(Result::policy).distinct().toList();
            List<Integer> slots = results.stream().map(Result::slots).distinct().toList();
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "%-8s", global ? "slots/L*" : "slots/L"));
            for (String p : policies) {
                sb.append(String.format(Locale.ROOT, " %8s", p));
            }
            sb.append('\n');
            for (int sl : slots) {
                sb.append(String.format(Locale.ROOT, "%-8d", sl));
                for (String p : policies) {
                    sb.append(String.format(Locale.ROOT, " %8.4f", hitRate(p, sl)));
                }
                sb.append('\n');
            }
            return sb.toString();
        }
    }

    /**
     * One row of the comparison at one cache size.
     *
     * @param gapClosed {@code (learned - best) / (belady - best)}; NaN without a gap
     */
    public record Gap(int slots, String bestBaseline, double bestBaselineHitRate, double learned, double belady,
                      double gapClosed) {}

    /**
     * The cache sizes the comparison uses: 1/8, 1/4 and 1/2 of the experts per layer (at least 1), and for
     * 8-expert models 3, 4 and 5 as well; ascending, without repeats.
     */
    public static int[] defaultSlots(int numExperts) {
        java.util.TreeSet<Integer> s = new java.util.TreeSet<>();
        for (int d : new int[] {8, 4, 2}) {
            s.add(Math.max(1, numExperts / d));
        }
        if (numExperts == 8) {
            s.addAll(List.of(3, 4, 5));
        }
        return s.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The policy names {@link #policy} knows (online ones may carry a parameter, e.g. "lrfu:0.1"). */
    public static final List<String> POLICIES = java.util.stream.Stream.concat(Policies.ONLINE.stream(),
            java.util.stream.Stream.of("learned", "learned-mlp", "belady", "next-token-oracle", "learned-insample")).toList();

    private static boolean known(String spec) {
        return Policies.isOnline(spec) || POLICIES.contains(spec);
    }

    /** Builds the named policy for one replay ("learned-insample" needs the in-sample model, the others not). */
    public static EvictionPolicy policy(String name, RoutingTrace trace, LearnedPolicy.Model learned, long seed) {
        return policy(name, trace, learned, null, seed);
    }

    /**
     * Builds the named policy for one replay. Two are references an engine could not run: "next-token-oracle"
     * ({@link NextTokenOraclePolicy}: LFU told the next token's worth of requests) and "learned-insample" (the
     * learned policy trained on the whole trace, the counted tokens included: what its features and model could
     * reach if the held-out tokens had been seen in training).
     */
    public static EvictionPolicy policy(String name, RoutingTrace trace, LearnedPolicy.Model learned,
                                        LearnedPolicy.Model inSample, long seed) {
        return policy(name, trace, learned, inSample, seed, 0, Pinning.STEP, false);
    }

    /** As above, for a global pool ({@code global}) or per-layer caches. */
    public static EvictionPolicy policy(String name, RoutingTrace trace, LearnedPolicy.Model learned,
                                        LearnedPolicy.Model inSample, long seed, int slots, Pinning pinning,
                                        boolean global) {
        if (name.equals("random")) {
            return new RandomPolicy(seed);
        }
        if (Policies.isOnline(name)) {
            return Policies.online(name, !global).get();
        }
        return switch (name) {
            case "belady" -> new BeladyPolicy(requests(trace));
            case "next-token-oracle" -> new NextTokenOraclePolicy(trace.steps(), trace.numLayers());
            case "learned" -> new LearnedPolicy(learned, "learned", learned.choiceFor(slots, pinning.label(), global), !global);
            case "learned-mlp" -> new LearnedPolicy(learned, "learned-mlp");
            case "learned-insample" -> new LearnedPolicy(inSample, "learned-insample");
            default -> throw new IllegalArgumentException("unknown policy '" + name + "' (expected one of "
                    + String.join(", ", POLICIES) + ")");
        };
    }

    /**
     * Runs every policy at every capacity.
     *
     * @param holdout fraction of tokens for training / warm-up, 0 = none
     * @param learned a trained model, or null to train one here (on the holdout part, or the whole trace); the
     *                report carries the one used
     */
    public static Report run(RoutingTrace trace, List<String> policies, int[] slots, boolean global, Pinning pinning,
                             double holdout, LearnedPolicy.Model learned, LearnedPolicy.Options options, long seed) {
        for (String p : policies) {
            if (!known(p)) { // fail before any training or replay
                throw new IllegalArgumentException("unknown policy '" + p + "' (expected one of "
                        + String.join(", ", POLICIES) + ")");
            }
        }
        int split = holdout > 0 ? trace.splitToken(holdout) : 0;
        LearnedPolicy.Model model = learned;
        if (model == null && (policies.contains("learned") || policies.contains("learned-mlp"))) {
            model = LearnedSelection.train(trace, holdout > 0 ? split : trace.numTokens(), slots, pinning, global, options);
        }
        LearnedPolicy.Model inSample = null;
        if (policies.contains("learned-insample")) {
            // Without holdout the learned policy trained here already saw every token.
            inSample = learned == null && holdout <= 0 && model != null ? model
                    : LearnedPolicy.train(trace, trace.numTokens(), options);
        }
        List<Result> results = new ArrayList<>();
        for (int sl : slots) {
            for (String p : policies) {
                results.add(simulate(trace, policy(p, trace, model, inSample, seed, sl, pinning, global), sl, global, pinning, split,
                        Integer.MAX_VALUE));
            }
        }
        return new Report(trace.model(), trace.numLayers(), trace.numExperts(), trace.topK(), trace.numTokens(), holdout,
                split, global, pinning, results, model);
    }
}
