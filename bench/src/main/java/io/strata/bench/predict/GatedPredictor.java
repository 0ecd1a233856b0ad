// A predictor restricted to the (layer, distance) pairs where it proved reliable on calibration data.
package io.strata.bench.predict;

import io.strata.engine.predict.*;

import java.util.List;

/**
 * Wraps a predictor and {@link #covers} only the pairs (L, d) whose recall on calibration sequences reached a
 * threshold; elsewhere it says nothing, so a {@link Prefetcher} issues no hint there and wastes no slot or read.
 * Gate look-ahead from layer 0, for example, ranks layer 1's experts poorly on tiny-moe (recall 0.35).
 */
public final class GatedPredictor implements ExpertPredictor {
    private final ExpertPredictor inner;
    private final boolean[][] allowed; // [layer][ahead - 1]

    GatedPredictor(ExpertPredictor inner, boolean[][] allowed) {
        this.inner = inner;
        this.allowed = allowed;
    }

    /**
     * Scores inner's top-m on every (L, d ≤ maxAhead) of the calibration sequences and keeps the pairs with
     * recall ≥ minRecall.
     */
    public static GatedPredictor calibrate(ExpertPredictor inner, RoutingDataset data, List<RoutingDataset.Sequence> calibration,
                                           int maxAhead, int m, double minRecall) {
        int[] depths = new int[maxAhead];
        for (int d = 1; d <= maxAhead; d++) depths[d - 1] = d;
        PredictorEval.Report r = PredictorEval.run(List.of(inner), depths, m, data, calibration);
        boolean[][] ok = new boolean[data.numLayers()][maxAhead];
        for (PredictorEval.Row row : r.rows()) {
            if (row.layer() < 0) continue;
            int source = row.layer() - row.depth();
            ok[source][row.depth() - 1] = row.recall() >= minRecall;
        }
        return new GatedPredictor(inner, ok);
    }

    /** Whether the pair (layer, ahead) passed the gate. */
    public boolean allowed(int layer, int ahead) {
        return layer >= 0 && layer < allowed.length && ahead >= 1 && ahead <= allowed[layer].length && allowed[layer][ahead - 1];
    }

    @Override
    public String name() {
        return inner.name() + "-gated";
    }

    @Override
    public int numLayers() {
        return inner.numLayers();
    }

    @Override
    public int numExperts() {
        return inner.numExperts();
    }

    @Override
    public boolean covers(int layer, int ahead) {
        return allowed(layer, ahead) && inner.covers(layer, ahead);
    }

    @Override
    public float[] scores(int layer, int ahead, float[] hidden) {
        return inner.scores(layer, ahead, hidden);
    }
}
