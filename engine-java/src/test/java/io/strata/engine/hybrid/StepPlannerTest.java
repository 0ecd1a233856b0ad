// The step planner's choices and times against hand-worked schedules.
package io.strata.engine.hybrid;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.engine.hybrid.StepPlanner.Path;
import io.strata.tiering.Residency;
import io.strata.tiering.trace.RoutingTrace;
import io.strata.tiering.trace.TraceStep;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StepPlannerTest {
    static final long GB = 1_000_000_000L;

    /** Copies at 1 GB/s, the CPU kernel at 0.5 GB/s, the device at 100 GB/s, the SSD at 2 GB/s. */
    static Calibration cal() {
        return new Calibration("m", "t", 2, 10e9, 2e9, null, true, Map.of("int4-g64", new double[] {0.25e9, 0.5e9}), 1e9, 1e9,
                Map.of("int4-g64", 100e9), "d", false);
    }

    static StepPlanner.Plan plan(StepPlanner.Mode mode, Residency... where) {
        int m = where.length;
        long[] bytes = new long[m];
        String[] layout = new String[m];
        boolean[] floe = new boolean[m];
        int[] tokens = new int[m];
        java.util.Arrays.fill(bytes, GB);
        java.util.Arrays.fill(layout, "int4-g64");
        java.util.Arrays.fill(tokens, 1);
        return new StepPlanner(cal(), mode).plan(where, bytes, layout, floe, tokens);
    }

    @Test
    void twoHostMissesGoOneToEachResource() {
        // First miss: copy ends at 1 s, its compute at 1.01 s; on the CPU it would end at 2 s: copied.
        // Second: a copy would end at 2.01 s (the link is busy until 1 s); the CPU ends at 2 s: computed there.
        StepPlanner.Plan p = plan(StepPlanner.Mode.AUTO, Residency.HOST, Residency.HOST);
        assertArrayEquals(new Path[] {Path.COPY, Path.CPU}, p.paths());
        assertEquals(2.0, p.seconds(), 1e-9);
    }

    @Test
    void fixedModesAndHits() {
        assertArrayEquals(new Path[] {Path.COPY, Path.COPY}, plan(StepPlanner.Mode.GPU, Residency.HOST, Residency.HOST).paths());
        assertEquals(2.01, plan(StepPlanner.Mode.GPU, Residency.HOST, Residency.HOST).seconds(), 1e-9);
        assertArrayEquals(new Path[] {Path.CPU, Path.CPU}, plan(StepPlanner.Mode.CPU, Residency.HOST, Residency.HOST).paths());
        assertEquals(4.0, plan(StepPlanner.Mode.CPU, Residency.HOST, Residency.HOST).seconds(), 1e-9);
        StepPlanner.Plan p = plan(StepPlanner.Mode.AUTO, Residency.FAST, Residency.FAST_PREFETCHED, Residency.HOST);
        assertArrayEquals(new Path[] {Path.HIT, Path.PREFETCHED, Path.COPY}, p.paths());
        assertEquals(1.01, p.seconds(), 1e-9); // the hits compute (0.02 s) while the copy runs (1 s), then its compute
    }

    @Test
    void anSsdMissIsReadFirstOnEitherPath() {
        // Read 0.5 s; copy then ends at 1.5 s and computes until 1.51 s; the CPU would end at 2.5 s: copied.
        StepPlanner.Plan p = plan(StepPlanner.Mode.AUTO, Residency.SSD);
        assertArrayEquals(new Path[] {Path.COPY}, p.paths());
        assertEquals(1.51, p.seconds(), 1e-9);
        assertEquals(2.5, plan(StepPlanner.Mode.CPU, Residency.SSD).seconds(), 1e-9);
    }

    @Test
    void cpuForecastOfATinyTraceByHand() {
        // One layer, two experts, top-1, one host slot; tokens route e0, e0, e1. An expert is 100 bytes, read at 100 B/s
        // (1 s) and computed at 50 B/s (2 s). Token 0: read 1 s, then compute: 3 s. Token 1: a hit, 2 s. Token 2: 3 s.
        var c = new Calibration("m", "t", 1, 1e12, 100, null, true, Map.of("bf16", new double[] {50}), Double.NaN, Double.NaN,
                Map.of(), null, false);
        var setup = new DecodeForecast.Setup(1, 2, 100, "bf16", false, 0, 0, "bf16", 1, 0, "lru");
        var trace = new RoutingTrace("t", 1, 2, 1, List.of(new TraceStep(0, 0, new int[] {0}, new float[] {1}),
                new TraceStep(1, 0, new int[] {0}, new float[] {1}), new TraceStep(2, 0, new int[] {1}, new float[] {1})));
        DecodeForecast.Result r = new DecodeForecast(setup, c, Double.NaN).cpu(trace);
        assertEquals(3 / 8.0, r.tokensPerSecond(), 1e-12);
        assertEquals(1 / 3.0, r.hostHitRate(), 1e-12);
        assertEquals(200 / 3.0, r.ssdBytesPerToken(), 1e-9);
        // With a measured base of 2 s per token (all hits), the tiers add the two 1 s stalls: 2 + 2/3 s per token.
        assertEquals(1 / (2 + 2 / 3.0), new DecodeForecast(setup, c, 2).cpu(trace).tokensPerSecond(), 1e-12);
    }

    @Test
    void readsAreBoundByTheirOwnLatencyOrTheirShareOfTheDisk() {
        long mb = 1_000_000;
        // 2 readers, the disk at 2 GB/s with both busy, 0.5 GB/s one read at a time.
        var c = new Calibration("m", "t", 2, 10e9, 2e9, null, true, Map.of(), Double.NaN, Double.NaN, Map.of(), null, false, 0.5e9, 2);
        // Small reads (1 MB): 2 ms each alone, 1 ms as a share of the disk: latency-bound. Reader 1 takes reads 1 and 3.
        assertArrayEquals(new double[] {0.002, 0.002, 0.004}, c.stepReads(new long[] {mb, mb, mb}), 1e-12);
        // Large reads on a fast single stream (4 GB/s alone): the disk's share binds, 2 · 0.1 GB / 2 GB/s = 0.1 s each.
        var fast = new Calibration("m", "t", 2, 10e9, 2e9, null, true, Map.of(), Double.NaN, Double.NaN, Map.of(), null, false, 4e9, 2);
        assertArrayEquals(new double[] {0.1, 0.1, 0.2}, fast.stepReads(new long[] {100 * mb, 100 * mb, 100 * mb}), 1e-12);
        // A lone read has the disk to itself: 0.1 GB at 4 GB/s alone, 2 GB/s the disk: 50 ms, not a busy reader's 100.
        assertArrayEquals(new double[] {0.05}, fast.stepReads(new long[] {100 * mb}), 1e-12);
        // A disk that two readers do not speed up (2 GB/s with one, 2 GB/s with two): a lone read at 2 GB/s, two at once
        // share it.
        var flat = new Calibration("m", "t", 2, 10e9, 2e9, null, true, Map.of(), Double.NaN, Double.NaN, Map.of(), null, false, 2e9, 2);
        assertArrayEquals(new double[] {0.05}, flat.stepReads(new long[] {100 * mb}), 1e-12);
        assertArrayEquals(new double[] {0.1, 0.1}, flat.stepReads(new long[] {100 * mb, 100 * mb}), 1e-12);
        // Reads measured as a step issues them, after a pause: 0.4 GB/s for one read alone, 0.25 GB/s per reader when
        // two start together. Three reads: the first two start together (4 ms each), the third follows the first on
        // reader 1 back to back (2 ms alone). One read: alone after the pause, 2.5 ms.
        var step = new Calibration("m", "t", 2, 10e9, 2e9, null, true, Map.of(), Double.NaN, Double.NaN, Map.of(), null, false,
                0.5e9, 2, 0.25e9, 0.4e9);
        assertArrayEquals(new double[] {0.004, 0.004, 0.006}, step.stepReads(new long[] {mb, mb, mb}), 1e-12);
        assertArrayEquals(new double[] {0.0025}, step.stepReads(new long[] {mb}), 1e-12);
        // rates after a pause above the other bounds change nothing
        var quick = new Calibration("m", "t", 2, 10e9, 2e9, null, true, Map.of(), Double.NaN, Double.NaN, Map.of(), null, false,
                0.5e9, 2, 8e9, 8e9);
        assertArrayEquals(new double[] {0.002, 0.002}, quick.stepReads(new long[] {mb, mb}), 1e-12);
        // A calibration without the one-reader rate: one after another at the aggregate rate.
        assertArrayEquals(new double[] {0.5, 1.0}, cal().stepReads(new long[] {GB, GB}), 1e-12);
        assertArrayEquals(new double[0], step.stepReads(new long[0]));
    }

    @Test
    void aLatencyBoundMissDelaysTheCpuPathByItsLatency() {
        // One SSD miss of 1 MB on the CPU: ready after 2 ms (its latency), then 2 ms of compute at 0.5 GB/s.
        var c = new Calibration("m", "t", 2, 10e9, 2e9, null, true, Map.of("int4-g64", new double[] {0.25e9, 0.5e9}), 1e9, 1e9,
                Map.of("int4-g64", 100e9), "d", false, 0.5e9, 2);
        StepPlanner.Plan p = new StepPlanner(c, StepPlanner.Mode.CPU).plan(new Residency[] {Residency.SSD}, new long[] {1_000_000},
                new String[] {"int4-g64"}, new boolean[] {false}, new int[] {1});
        assertArrayEquals(new Path[] {Path.CPU}, p.paths());
        assertEquals(0.004, p.seconds(), 1e-12);
    }
}
