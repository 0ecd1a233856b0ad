// The seam for guessing which experts later layers will use, from one layer's router input.
package io.strata.engine.predict;

/**
 * Predicts the experts of layer {@code layer + ahead} from the post-attention normalised hidden state of one
 * token at {@code layer} (what {@link io.strata.engine.moe.RoutingObserver#beforeRouting} receives). One class
 * per method; every implementation is replayable on a {@link RoutingDataset}.
 */
public interface ExpertPredictor {
    /** Short name used on the command line and in reports ("lookahead", "learned", "prior", "oracle"). */
    String name();

    /** Layers of the model it was built for. */
    int numLayers();

    /** Routed experts per layer. */
    int numExperts();

    /**
     * Whether the predictor can say anything about {@code layer + ahead} from {@code layer}: false when the target
     * is past the last layer, is a dense layer, or (learned) no network was trained for that pair.
     */
    boolean covers(int layer, int ahead);

    /**
     * A score per expert of layer {@code layer + ahead}; larger = more likely to be routed.
     *
     * @param layer  the layer whose router input {@code hidden} is, 0-based
     * @param ahead  look-ahead distance d ≥ 1
     * @param hidden (hidden) one token's post-attention normalised hidden state at {@code layer}
     * @return (experts) scores (units depend on the predictor: router logits, MLP logits, counts)
     */
    float[] scores(int layer, int ahead, float[] hidden);

    /**
     * The m most likely experts of layer {@code layer + ahead}, best first (ties → lower id); an empty array
     * when {@link #covers} is false.
     */
    default int[] predict(int layer, int ahead, float[] hidden, int m) {
        if (!covers(layer, ahead)) return new int[0];
        return TopM.of(scores(layer, ahead, hidden), m);
    }
}
