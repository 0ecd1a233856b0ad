// JMH: nanoseconds per eviction decision (chooseVictim) of every online policy and the learned one.
package io.strata.bench.tiering;

import io.strata.tiering.ExpertKey;
import io.strata.tiering.policy.EvictionPolicy;
import io.strata.tiering.policy.LearnedPolicy;
import io.strata.tiering.policy.Policies;
import io.strata.tiering.replay.TraceReplay;
import io.strata.tiering.trace.RoutingTrace;
import io.strata.tiering.trace.TraceStep;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One eviction decision: {@code chooseVictim} over a full per-layer cache's candidates (the slots minus the
 * step's top-k, which step pinning protects), after the policy has seen 300 tokens of a random trace of the
 * model's shape. The learned policy is trained on those tokens (its MLP; the cost of a baseline it may run instead
 * is that baseline's). Two alternating times defeat the learned policy's per-step cache of neighbour votes, so its
 * figure is the cost of the first eviction of a step (later ones in the same step are cheaper).
 * Shapes: {@code mixtral} 32 layers x 8 experts, top-2, 4 slots; {@code olmoe} 16 x 64, top-8, 16 slots;
 * {@code flame} 8 x 64, top-6, 16 slots.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class EvictionDecisionBench {
    @Param({"lru", "lfu", "lfu-aging", "lrfu", "arc", "least-stale", "learned"})
    public String policy;

    @Param({"mixtral", "olmoe", "flame"})
    public String shape;

    private EvictionPolicy p;
    private List<ExpertKey> candidates;
    private long t0;
    private int flip;

    static RoutingTrace random(long seed, int layers, int experts, int topK, int tokens) {
        SplittableRandom r = new SplittableRandom(seed);
        List<TraceStep> steps = new ArrayList<>();
        for (int t = 0; t < tokens; t++) {
            for (int l = 0; l < layers; l++) {
                int[] ids = r.ints(0, experts).distinct().limit(topK).toArray();
                float[] w = new float[topK];
                for (int i = 0; i < topK; i++) {
                    w[i] = (float) r.nextDouble();
                }
                steps.add(new TraceStep(t, l, ids, w));
            }
        }
        return new RoutingTrace("bench-" + layers + "x" + experts, layers, experts, topK, steps);
    }

    @Setup(Level.Trial)
    public void setUp() {
        int layers, experts, topK, slots;
        switch (shape) {
            case "mixtral" -> { layers = 32; experts = 8; topK = 2; slots = 4; }
            case "olmoe" -> { layers = 16; experts = 64; topK = 8; slots = 16; }
            case "flame" -> { layers = 8; experts = 64; topK = 6; slots = 16; }
            default -> throw new IllegalArgumentException("unknown shape " + shape);
        }
        int tokens = 300;
        RoutingTrace t = random(7, layers, experts, topK, tokens);
        if (policy.equals("learned")) {
            LearnedPolicy.Options o = LearnedPolicy.Options.defaults();
            p = new LearnedPolicy(LearnedPolicy.train(t, tokens, new LearnedPolicy.Options(
                    new io.strata.tiering.policy.Mlp.Training(16, 2, 64, 3e-3, 1e-4, 1), o.horizon(), false,
                    o.minLayerSamples(), false)));
        } else {
            p = Policies.online(policy, true).get();
        }
        TraceReplay.simulate(t, p, slots, false, TraceReplay.Pinning.STEP, 0, Integer.MAX_VALUE);
        // The candidates of the last layer: the first (slots - topK) experts it did not choose at the last token.
        TraceStep last = t.steps().getLast();
        candidates = new ArrayList<>();
        for (int e = 0; e < experts && candidates.size() < slots - topK; e++) {
            final int ex = e;
            if (java.util.Arrays.stream(last.experts()).noneMatch(x -> x == ex)) {
                candidates.add(new ExpertKey(last.layer(), e));
            }
        }
        t0 = tokens;
    }

    @Benchmark
    public ExpertKey chooseVictim() {
        flip ^= 1;
        return p.chooseVictim(candidates, t0 + flip);
    }
}
