// Prefetch on the real tiered store: same logits as without prefetch, hints used, budgets kept; stall timing.
package io.strata.engine.predict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.engine.api.StrataModel;
import io.strata.engine.backend.KvCache;
import io.strata.bench.predict.PrefetchBenchmark;
import io.strata.engine.cli.PackCommand;
import io.strata.engine.synth.SyntheticCheckpoint;
import io.strata.tiering.ExpertHandle;
import io.strata.tiering.ExpertKey;
import io.strata.tiering.ExpertStore;
import io.strata.tiering.ExpertWeights;
import io.strata.tiering.Tier;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PredictTieredStoreTest {
    /** Greedy-decodes 12 tokens after a 10-token prompt; returns the logits of every step, concatenated. */
    static float[] decode(StrataModel m, Prefetcher pf) {
        if (pf != null) m.model().addObserver(pf);
        int[] prompt = {1, 17, 42, 99, 3, 250, 7, 64, 128, 5};
        KvCache cache = m.model().newCache(32);
        float[] logits = m.model().forward(prompt, 0, cache, false);
        int V = m.config().vocabSize();
        float[] all = new float[13 * V];
        System.arraycopy(logits, 0, all, 0, V);
        for (int g = 0; g < 12; g++) {
            int next = 0;
            for (int i = 1; i < V; i++) if (logits[i] > logits[next]) next = i;
            logits = m.model().forward(new int[] {next}, prompt.length + g, cache, false);
            System.arraycopy(logits, 0, all, (g + 1) * V, V);
        }
        return all;
    }

    @Test
    void prefetchKeepsOutputsAndBudgets(@TempDir Path tmp) throws Exception {
        var spec = SyntheticCheckpoint.preset("tiny").withLayers(4);
        Path ck = SyntheticCheckpoint.write(spec, tmp.resolve("ck"), null);
        Path store = tmp.resolve("store");
        assertEquals(0, new CommandLine(new PackCommand()).execute("--model", ck.toString(), "--out", store.toString(), "--no-progress"));
        long slot = PrefetchBenchmark.expertBytes(store);
        long budget = 8 * slot; // a quarter of 4 x 8 experts
        var setup = new PrefetchBenchmark.Setup(store, budget, 0, "lru", "cpu", 2);
        float[] plain, prefetched;
        Prefetcher pf;
        try (StrataModel m = PrefetchBenchmark.open(setup, 64)) {
            plain = decode(m, null);
        }
        try (StrataModel m = PrefetchBenchmark.open(setup, 64)) {
            pf = new Prefetcher(m.model().store(), LookaheadPredictor.of(m.model()), m.model().backend(),
                    m.config().hidden(), 2, 2, slot, null);
            prefetched = decode(m, pf);
            var tiered = PrefetchBenchmark.tiered(m);
            assertTrue(tiered.hostAllocatedBytes() <= budget, "host tier " + tiered.hostAllocatedBytes() + " > budget " + budget);
            assertTrue(tiered.stats().prefetchIssued() > 0, "the store started no prefetch load");
        }
        // The tier that serves an expert may change the kernel's memory alignment (f32 rounding), never the result.
        assertEquals(plain.length, prefetched.length);
        double maxAbs = 0, maxDiff = 0;
        for (int i = 0; i < plain.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(plain[i]));
            maxDiff = Math.max(maxDiff, Math.abs(plain[i] - prefetched[i]));
        }
        assertTrue(maxDiff <= 1e-5 * maxAbs, "prefetching changed logits by " + maxDiff + " (max |logit| " + maxAbs + ")");
        Prefetcher.Report r = pf.report();
        // 13 passes x layers 1..3 x up to 2 hints at depth 1 and 2.
        assertTrue(r.total().issued() > 0 && r.total().used() > 0, r.table());
        assertTrue(r.total().stallNanos() >= 0 && r.total().acquires() > 0, "stall statistics come from the store's per-layer counters");
        assertEquals(r.total().routed(), r.layers().stream().mapToLong(Prefetcher.LayerStats::routed).sum());
        assertEquals(r.total().misses(), r.total().hintedMisses() + r.total().unhintedMisses(),
                "every SSD miss is of a hinted or of an unhinted expert");
    }
}
