// The forecast's replay: tokens of a trace that holds several generations, and the latency-bound reads of small experts.
package io.strata.engine.hybrid;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.tiering.trace.RoutingTrace;
import io.strata.tiering.trace.TraceStep;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DecodeForecastTest {
    /** One layer, 4 bf16 experts of 1 MB, LRU, {@code hostSlots} host slots; dense weights and head free. */
    private static DecodeForecast.Setup oneLayer(int hostSlots) {
        return new DecodeForecast.Setup(1, 4, 1_000_000, "bf16", false, 0, 0, "bf16", hostSlots, 0, "lru");
    }

    /** Reads: 0.5 GB/s alone (2 ms per 1 MB expert), 2 GB/s with both readers busy; the CPU kernel at 1 GB/s (1 ms). */
    private static Calibration calibration() {
        return new Calibration("m", "t", 1, 10e9, 2e9, null, true, Map.of("bf16", new double[] {1e9}), Double.NaN, Double.NaN,
                Map.of(), null, false, 0.5e9, 2);
    }

    private static TraceStep step(int token, int layer, int expert) {
        return new TraceStep(token, layer, new int[] {expert}, new float[] {1f});
    }

    @Test
    void aPositionInTwoGenerationsIsTwoTokens() {
        // Two generations of 2 layers: positions 0-1, then 0-2 again (a warm-up run and a measured run).
        List<TraceStep> steps = new ArrayList<>();
        for (int t = 0; t < 2; t++) for (int l = 0; l < 2; l++) steps.add(step(t, l, 0));
        for (int t = 0; t < 3; t++) for (int l = 0; l < 2; l++) steps.add(step(t, l, 1));
        RoutingTrace trace = RoutingTrace.sorted("m", 2, 4, 1, steps);
        List<List<TraceStep>> tokens = DecodeForecast.byToken(trace);
        assertEquals(5, tokens.size());
        for (List<TraceStep> tok : tokens) {
            assertEquals(2, tok.size());
            assertEquals(0, tok.get(0).layer());
            assertEquals(1, tok.get(1).layer());
            assertEquals(tok.get(0).experts()[0], tok.get(1).experts()[0], "a token's layers come from one generation");
        }
    }

    @Test
    void smallMissesCostTheirLatency() {
        // One layer, 4 experts of 1 MB, top-2, a host tier of 0 slots (every access misses); dense weights and head free.
        var setup = oneLayer(0);
        var cal = calibration();
        List<TraceStep> steps = new ArrayList<>();
        for (int t = 0; t < 4; t++) steps.add(new TraceStep(t, 0, new int[] {t % 4, (t + 1) % 4}, new float[] {0.5f, 0.5f}));
        var r = new DecodeForecast(setup, cal, Double.NaN).cpu(new RoutingTrace("m", 1, 4, 2, steps));
        // Both reads end at 2 ms (one per reader), then two computes of 1 ms: 4 ms per token.
        assertEquals(250, r.tokensPerSecond(), 1e-6);
        assertEquals(2_000_000, r.ssdBytesPerToken(), 1e-6);
    }

    @Test
    void readsAfterTheLayersComputeCostWhatTheyCostAfterAPause() {
        // As smallMissesCostTheirLatency, with reads measured after a pause: one alone at 0.4 GB/s (2.5 ms), two at once
        // at 0.25 GB/s each (4 ms).
        var c = calibration();
        var cal = new Calibration("m", "t", 1, 10e9, 2e9, null, true, c.cpuExpert(), Double.NaN, Double.NaN, Map.of(), null, false,
                0.5e9, 2, 0.25e9, 0.4e9);
        List<TraceStep> both = new ArrayList<>(), one = new ArrayList<>();
        for (int t = 0; t < 4; t++) both.add(new TraceStep(t, 0, new int[] {t % 4, (t + 1) % 4}, new float[] {0.5f, 0.5f}));
        // Two misses a token: both reads end at 4 ms, then two computes of 1 ms: 6 ms per token.
        assertEquals(1 / 6e-3, new DecodeForecast(oneLayer(0), cal, Double.NaN).cpu(new RoutingTrace("m", 1, 4, 2, both))
                .tokensPerSecond(), 1e-6);
        // A host tier of 2 slots and tokens routing {0, 1}, {0, 2}, {0, 3}, {0, 1}: expert 0 stays, the other misses, read
        // alone after the pause. Token 0 misses both (4 ms + 2 ms); tokens 1-3: expert 0 (1 ms) while the other reads
        // (2.5 ms), then it (1 ms): 3.5 ms.
        for (int t = 0; t < 4; t++) one.add(new TraceStep(t, 0, new int[] {0, t % 3 + 1}, new float[] {0.5f, 0.5f}));
        var r = new DecodeForecast(oneLayer(2), cal, Double.NaN).cpu(new RoutingTrace("m", 1, 4, 2, one));
        assertEquals(4 / (6e-3 + 3 * 3.5e-3), r.tokensPerSecond(), 1e-6);
        // With a probe's base of 1 ms a token, the stall is what the reads add beyond the two computes: 4 and 3 · 1.5 ms.
        var p = new DecodeForecast(oneLayer(2), cal, 1e-3).cpu(new RoutingTrace("m", 1, 4, 2, one));
        assertEquals(1 / (1e-3 + (4e-3 + 3 * 1.5e-3) / 4), p.tokensPerSecond(), 1e-6);
    }

    @Test
    void aPromptBatchIsOnePassThatWarmsTheTierAndIsNotPriced() {
        // One layer, 4 experts of 1 MB, a host tier of 3 slots; reads 2 ms alone, the CPU kernel 1 ms per expert.
        var setup = oneLayer(3);
        var cal = calibration();
        List<TraceStep> steps = new ArrayList<>();
        steps.add(new TraceStep(0, 0, new int[] {0, 1}, new float[0], 0)); // pass 0: a prompt of two tokens
        steps.add(new TraceStep(1, 0, new int[] {1, 2}, new float[0], 0));
        steps.add(new TraceStep(2, 0, new int[] {0, 1}, new float[0], 1)); // decode: both in the tier
        steps.add(new TraceStep(3, 0, new int[] {2, 3}, new float[0], 2)); // decode: 2 in the tier, 3 read
        RoutingTrace trace = new RoutingTrace("m", 1, 4, 2, steps);
        List<DecodeForecast.Pass> passes = DecodeForecast.passes(trace);
        assertEquals(3, passes.size());
        assertEquals(2, passes.get(0).tokens());
        assertArrayEquals(new int[] {0, 1, 2}, passes.get(0).layers().get(0).experts(), "the union, in first-use order");
        var r = new DecodeForecast(setup, cal, Double.NaN).cpu(trace);
        // Decode token 2: two hits, 2 ms. Token 3: expert 2 (1 ms) while 3 reads (2 ms), then 3 (1 ms): 3 ms.
        assertEquals(1 / 2.5e-3, r.tokensPerSecond(), 1e-6);
        assertEquals(500_000, r.ssdBytesPerToken(), 1e-6);
        assertEquals(0.75, r.hostHitRate(), 1e-12);
        // Without pass numbers every position is a decode token, the prompt's two included.
        List<TraceStep> unnamed = new ArrayList<>();
        for (TraceStep st : steps) unnamed.add(new TraceStep(st.token(), st.layer(), st.experts(), st.weights()));
        assertEquals(4, DecodeForecast.passes(new RoutingTrace("m", 1, 4, 2, unnamed)).size());
    }

    @Test
    void aWarmUpGenerationWarmsTheTierAndOnlyTheLastGenerationIsPriced() {
        // One layer, 4 experts of 1 MB, a host tier of 2 slots; reads 2 ms alone, the CPU kernel 1 ms per expert.
        // Warm-up: a two-token prompt routing {0}, decode steps routing {1}, {2}, {3} (each a miss: 3 ms).
        // Measured: a two-token prompt at position 0 again routing {3}, decode steps routing {3}, {2} (hits: 1 ms each).
        List<TraceStep> steps = new ArrayList<>();
        int pass = 0;
        for (int t = 0; t < 2; t++) steps.add(new TraceStep(t, 0, new int[] {0}, new float[0], pass));
        for (int t = 2; t <= 4; t++) steps.add(new TraceStep(t, 0, new int[] {t - 1}, new float[0], ++pass));
        ++pass;
        for (int t = 0; t < 2; t++) steps.add(new TraceStep(t, 0, new int[] {3}, new float[0], pass));
        steps.add(new TraceStep(2, 0, new int[] {3}, new float[0], ++pass));
        steps.add(new TraceStep(3, 0, new int[] {2}, new float[0], ++pass));
        RoutingTrace trace = RoutingTrace.sorted("m", 1, 4, 1, steps);
        var r = new DecodeForecast(oneLayer(2), calibration(), Double.NaN).cpu(trace);
        assertEquals(1000, r.tokensPerSecond(), 1e-6, "the measured generation's two hits, 1 ms each");
        assertEquals(0, r.ssdBytesPerToken(), 1e-6);
        assertEquals(1.0, r.hostHitRate(), 1e-12);
        // One generation, the same decode steps after the warm-up's: the three misses and the two hits, 11 ms for 5 tokens.
        List<TraceStep> one = new ArrayList<>(steps.subList(0, 5));
        one.add(new TraceStep(5, 0, new int[] {3}, new float[0], 4));
        one.add(new TraceStep(6, 0, new int[] {2}, new float[0], 5));
        var o = new DecodeForecast(oneLayer(2), calibration(), Double.NaN).cpu(RoutingTrace.sorted("m", 1, 4, 1, one));
        assertEquals(5 / 11e-3, o.tokensPerSecond(), 1e-6);
    }

    @Test
    void theShapeOfATracesGenerations() {
        // A 3-token prompt and 2 decode steps; then a one-token prompt at position 0 and 4 decode steps: the last
        // generation is the one priced, and the probe decodes its shape.
        List<TraceStep> steps = new ArrayList<>();
        int pass = 0;
        for (int t = 0; t < 3; t++) steps.add(new TraceStep(t, 0, new int[] {t}, new float[0], pass));
        for (int t = 3; t < 5; t++) steps.add(new TraceStep(t, 0, new int[] {t}, new float[0], ++pass));
        for (int t = 0; t < 5; t++) steps.add(new TraceStep(t, 0, new int[] {t}, new float[0], ++pass));
        RoutingTrace trace = RoutingTrace.sorted("m", 1, 8, 1, steps);
        assertEquals(new DecodeForecast.Shape(1, 4), DecodeForecast.shape(trace));
        // one generation: its own shape
        assertEquals(new DecodeForecast.Shape(3, 2), DecodeForecast.shape(RoutingTrace.sorted("m", 1, 8, 1, steps.subList(0, 5))));
        List<TraceStep> unnamed = new ArrayList<>();
        for (TraceStep st : steps) unnamed.add(new TraceStep(st.token(), st.layer(), st.experts(), st.weights()));
        assertEquals(null, DecodeForecast.shape(RoutingTrace.sorted("m", 1, 8, 1, unnamed)));
    }
}
