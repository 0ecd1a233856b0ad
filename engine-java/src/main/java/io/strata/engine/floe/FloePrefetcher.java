// Starts FloE partial loads one layer early: predicted experts and predicted channels of layer L+1 from layer L's router input.
package io.strata.engine.floe;

import io.strata.compression.Matrix;
import io.strata.compression.kernel.Kernels;
import io.strata.engine.backend.Buf;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.MoeModel;
import io.strata.engine.moe.RoutingObserver;
import java.util.Arrays;

/**
 * A {@link RoutingObserver} for a model served by a {@link FloeExpertStore}. When layer L is about
 * to route, its input x_L (n, H) is known; for each token this guesses layer L+1's experts by
 * applying L+1's router to x_L (inter-expert prediction, top-{@code experts}) and each guessed
 * expert's channels by thresholding x_L·W_upᵀ with L+1's resident up (intra-expert prediction),
 * and copies those gate/downT rows before layer L+1 asks for them. Rows it misses are loaded on
 * demand by the expert's forward as usual; the store's stats count both kinds of traffic.
 *
 * <p>On the CPU the copy runs on the calling thread (there is no transfer to overlap with); what
 * it measures is how much of the on-demand traffic the predictions cover.
 */
public final class FloePrefetcher implements RoutingObserver {
    private final MoeModel model;
    private final FloeExpertStore store;
    private final int experts; // experts guessed per token

    /** @param experts experts of layer L+1 guessed per token (normally the model's top-k) */
    public FloePrefetcher(MoeModel model, int experts) {
        if (!(model.store() instanceof FloeExpertStore f)) {
            throw new IllegalArgumentException("FloePrefetcher needs a model served by a FloeExpertStore, found "
                    + model.store().getClass().getSimpleName());
        }
        this.model = model;
        this.store = f;
        this.experts = experts;
    }

    @Override
    public void beforeRouting(int layer, int pos0, int n, Buf hidden) {
        ModelConfig c = model.config();
        int next = layer + 1;
        if (next >= c.numLayers() || !c.moeLayer()[next]) return;
        int h = c.hidden(), E = c.numExperts();
        float[] x = new float[n * h];            // (n, H) layer L's router input
        model.backend().read(hidden, x, 0, n * h);
        Matrix router = model.weights().layers[next].router.matrix(); // (E, H)
        float[] logits = new float[n * E];       // (n, E)
        Kernels.dense().matmul(router, x, n, logits, 0, E);
        for (int t = 0; t < n; t++) {
            float[] xt = Arrays.copyOfRange(x, t * h, (t + 1) * h);
            for (int e : topK(logits, t * E, E, experts)) store.prefetchRows(next, e, xt);
        }
    }

    /** Indices of the k largest of a[off, off + len), largest first. */
    public static int[] topK(float[] a, int off, int len, int k) {
        int[] best = new int[Math.min(k, len)];
        boolean[] used = new boolean[len];
        for (int j = 0; j < best.length; j++) {
            int b = -1;
            for (int i = 0; i < len; i++) if (!used[i] && (b < 0 || a[off + i] > a[off + b])) b = i;
            used[b] = true;
            best[j] = b;
        }
        return best;
    }
}
