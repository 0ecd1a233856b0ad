// Hidden states and routes recorded from runs of a model: the data predictors are trained and scored on.
package io.strata.engine.predict;

import java.util.ArrayList;
import java.util.List;

/**
 * Routing data of a model, one {@link Sequence} per prompt.
 *
 * @param numLayers  decoder layers
 * @param numExperts routed experts per MoE layer
 * @param topK       experts chosen per token
 * @param hiddenSize width of the router input
 * @param moeLayer   (layers) true for an MoE layer (dense layers have no hidden states or routes here)
 * @param sequences  recorded prompts
 */
public record RoutingDataset(int numLayers, int numExperts, int topK, int hiddenSize, boolean[] moeLayer,
                             List<Sequence> sequences) {
    public RoutingDataset {
        sequences = List.copyOf(sequences);
        moeLayer = moeLayer.clone();
    }

    /**
     * One prompt's routing.
     *
     * @param name    label (the prompt's first words)
     * @param hidden  [token][layer] (hidden) post-attention normalised hidden state, the router input; null entries
     *                for dense layers
     * @param experts [token][layer] expert ids in rank order (k); null entries for dense layers
     */
    public record Sequence(String name, float[][][] hidden, int[][][] experts) {
        public int tokens() {
            return experts.length;
        }
    }

    public long totalTokens() {
        long n = 0;
        for (Sequence s : sequences) n += s.tokens();
        return n;
    }

    /**
     * Splits the sequences: every {@code period}-th (indices period-1, 2·period-1, …) is held out, the rest train.
     * Keeping whole prompts apart means the test set is never seen in training.
     */
    public Split splitEvery(int period) {
        if (period < 2) throw new IllegalArgumentException("hold-out period must be ≥ 2, found " + period);
        List<Sequence> tr = new ArrayList<>(), te = new ArrayList<>();
        for (int i = 0; i < sequences.size(); i++) ((i % period == period - 1) ? te : tr).add(sequences.get(i));
        return new Split(tr, te);
    }

    public record Split(List<Sequence> train, List<Sequence> test) {}
}
