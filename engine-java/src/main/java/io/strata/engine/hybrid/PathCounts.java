// How many routed experts took each path, over a run: what `strata run --stats` reports per step.
package io.strata.engine.hybrid;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/** Thread-safe counters of {@link StepPlanner.Path} per expert use, and of forward steps. */
public final class PathCounts {
    private final AtomicLongArray counts = new AtomicLongArray(StepPlanner.Path.values().length);
    private final AtomicLong steps = new AtomicLong();

    public void add(StepPlanner.Path p) {
        counts.incrementAndGet(p.ordinal());
    }

    public void step() {
        steps.incrementAndGet();
    }

    /** An immutable copy: expert uses per path, and the forward steps they came from. */
    public record Snapshot(Map<StepPlanner.Path, Long> uses, long steps) {
        /** Expert uses of path p per step (0 before the first step). */
        public double perStep(StepPlanner.Path p) {
            return steps == 0 ? 0 : uses.getOrDefault(p, 0L) / (double) steps;
        }

        /** Expert uses per step by lower-case path name ("hit", "prefetched", "copy", "cpu", "floe"), in that order. */
        public Map<String, Double> perStepByName() {
            Map<String, Double> m = new java.util.LinkedHashMap<>();
            for (StepPlanner.Path p : StepPlanner.Path.values()) m.put(p.name().toLowerCase(java.util.Locale.ROOT), perStep(p));
            return m;
        }

        /** Expert uses by lower-case path name, in path order. */
        public Map<String, Long> totalByName() {
            Map<String, Long> m = new java.util.LinkedHashMap<>();
            for (StepPlanner.Path p : StepPlanner.Path.values()) m.put(p.name().toLowerCase(java.util.Locale.ROOT), uses.getOrDefault(p, 0L));
            return m;
        }

        public long total() {
            return uses.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    public Snapshot snapshot() {
        Map<StepPlanner.Path, Long> m = new EnumMap<>(StepPlanner.Path.class);
        for (StepPlanner.Path p : StepPlanner.Path.values()) m.put(p, counts.get(p.ordinal()));
        return new Snapshot(Map.copyOf(m), steps.get());
    }
}
