// Offline evaluation: precision and recall of each predictor x look-ahead distance on recorded routing.
package io.strata.bench.predict;

import io.strata.engine.predict.*;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * For every token of the test sequences, every MoE layer L and distance d with L+d an MoE layer, compares the
 * predictor's top-m for layer L+d (from L's router input) with the k experts routed at L+d; where the predictor
 * does not cover (L, d) it predicts nothing, so recall stays comparable between predictors. Results are kept per
 * target layer L+d and summed over layers.
 */
public final class PredictorEval {
    private PredictorEval() {}

    /** Counts of one predictor at one distance for one target layer (layer = -1: all layers). */
    public record Row(String predictor, int depth, int layer, long hits, long predicted, long actual) {
        public double precision() {
            return predicted == 0 ? Double.NaN : (double) hits / predicted;
        }

        public double recall() {
            return actual == 0 ? Double.NaN : (double) hits / actual;
        }
    }

    public record Report(int m, int topK, long testTokens, List<Row> rows) {
        /** The rows summed over layers (layer = -1), in predictor, depth order. */
        public List<Row> totals() {
            return rows.stream().filter(r -> r.layer() < 0).toList();
        }

        /** recall / precision per predictor × depth, and per target layer recall. */
        public String table() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "top-%d predicted vs top-%d routed, %d tokens scored%n", m, topK, testTokens));
            sb.append(String.format(Locale.ROOT, "%-16s %5s %9s %9s %9s   recall per target layer%n", "predictor", "depth", "precision", "recall", "pairs"));
            for (Row t : totals()) {
                sb.append(String.format(Locale.ROOT, "%-16s %5d %9.3f %9.3f %9d  ", t.predictor(), t.depth(), t.precision(), t.recall(), t.actual()));
                for (Row r : rows) {
                    if (r.layer() >= 0 && r.predictor().equals(t.predictor()) && r.depth() == t.depth()) {
                        sb.append(String.format(Locale.ROOT, " L%d %.2f", r.layer(), r.recall()));
                    }
                }
                sb.append('\n');
            }
            return sb.toString();
        }

        /** Plain maps/lists for a JSON writer. */
        public Map<String, Object> toJson() {
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("m", m);
            root.put("top_k", topK);
            root.put("test_tokens", testTokens);
            List<Object> out = new ArrayList<>();
            for (Row r : rows) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("predictor", r.predictor());
                o.put("depth", r.depth());
                o.put("layer", r.layer() < 0 ? "all" : r.layer());
                o.put("hits", r.hits());
                o.put("predicted", r.predicted());
                o.put("actual", r.actual());
                o.put("precision", finite(r.precision()));
                o.put("recall", finite(r.recall()));
                out.add(o);
            }
            root.put("results", out);
            return root;
        }
    }

    /** d, or null (JSON null) when d is NaN or infinite. */
    static Double finite(double d) {
        return Double.isFinite(d) ? d : null;
    }

    /**
     * @param m experts predicted per target layer
     */
    public static Report run(List<ExpertPredictor> predictors, int[] depths, int m, RoutingDataset data,
                             List<RoutingDataset.Sequence> test) {
        int L = data.numLayers();
        List<Row> rows = new ArrayList<>();
        long tokens = 0;
        for (RoutingDataset.Sequence s : test) tokens += s.tokens();
        for (ExpertPredictor p : predictors) {
            for (int d : depths) {
                HitCounts[] per = new HitCounts[L];
                for (int t = 0; t < L; t++) per[t] = new HitCounts();
                for (RoutingDataset.Sequence s : test) {
                    for (int tok = 0; tok < s.tokens(); tok++) {
                        for (int l = 0; l + d < L; l++) {
                            if (!data.moeLayer()[l] || !data.moeLayer()[l + d]) continue;
                            // A pair the predictor does not cover predicts nothing: its routes count as missed.
                            int[] pred = p.covers(l, d) ? p.predict(l, d, s.hidden()[tok][l], m) : new int[0];
                            per[l + d].add(pred, s.experts()[tok][l + d]);
                        }
                    }
                }
                HitCounts all = new HitCounts();
                List<Row> layerRows = new ArrayList<>();
                for (int t = 0; t < L; t++) {
                    if (per[t].actual() == 0) continue;
                    all.add(per[t]);
                    layerRows.add(new Row(p.name(), d, t, per[t].hits(), per[t].predicted(), per[t].actual()));
                }
                rows.add(new Row(p.name(), d, -1, all.hits(), all.predicted(), all.actual()));
                rows.addAll(layerRows);
            }
        }
        return new Report(m, data.topK(), tokens, rows);
    }
}
