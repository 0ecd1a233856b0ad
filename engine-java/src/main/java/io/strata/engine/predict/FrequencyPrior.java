// Baseline predictor: the experts each layer used most often in the training runs, whatever the input.
package io.strata.engine.predict;

/** Scores are routing counts (choices per expert) of the target layer over the training tokens. */
public final class FrequencyPrior implements ExpertPredictor {
    private final long[][] counts; // (layers, experts) routing choices seen in training

    public FrequencyPrior(long[][] counts) {
        this.counts = new long[counts.length][];
        for (int l = 0; l < counts.length; l++) this.counts[l] = counts[l] == null ? null : counts[l].clone();
    }

    /** Counts the routes of the given sequences of data. */
    public static FrequencyPrior train(RoutingDataset data, java.util.List<RoutingDataset.Sequence> train) {
        long[][] c = new long[data.numLayers()][];
        for (int l = 0; l < c.length; l++) if (data.moeLayer()[l]) c[l] = new long[data.numExperts()];
        for (RoutingDataset.Sequence s : train) {
            for (int t = 0; t < s.tokens(); t++) {
                for (int l = 0; l < c.length; l++) {
                    if (c[l] == null) continue;
                    for (int e : s.experts()[t][l]) c[l][e]++;
                }
            }
        }
        return new FrequencyPrior(c);
    }

    @Override
    public String name() {
        return "prior";
    }

    @Override
    public int numLayers() {
        return counts.length;
    }

    @Override
    public int numExperts() {
        for (long[] c : counts) if (c != null) return c.length;
        return 0;
    }

    @Override
    public boolean covers(int layer, int ahead) {
        int t = layer + ahead;
        return ahead >= 1 && t < counts.length && counts[t] != null;
    }

    @Override
    public float[] scores(int layer, int ahead, float[] hidden) {
        long[] c = counts[layer + ahead];
        float[] out = new float[c.length];
        for (int e = 0; e < c.length; e++) out[e] = c[e];
        return out;
    }

    /** Choices of expert e at layer in training. */
    public long count(int layer, int expert) {
        return counts[layer] == null ? 0 : counts[layer][expert];
    }
}
