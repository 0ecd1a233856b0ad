// Records router inputs and routes of a running model (a RoutingObserver) into a RoutingDataset.Sequence.
package io.strata.engine.predict;

import io.strata.engine.backend.Backend;
import io.strata.engine.backend.Buf;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.moe.RoutingObserver;
import java.util.ArrayList;
import java.util.List;

/**
 * Attach to a model, run one prompt (prefill and/or decode), then call {@link #finish}. Positions are taken from
 * the observer's pos0, so a prefill chunk of n tokens and n single-token decode steps record the same rows.
 * Not thread-safe: one model, one sequence at a time.
 */
public final class RoutingRecorder implements RoutingObserver {
    private final Backend backend;
    private final int layers, hidden;
    private final List<float[][]> hiddenAt = new ArrayList<>(); // [position] -> [layer] (hidden)
    private final List<int[][]> expertsAt = new ArrayList<>();  // [position] -> [layer] (k)

    public RoutingRecorder(Backend backend, ModelConfig c) {
        this.backend = backend;
        this.layers = c.numLayers();
        this.hidden = c.hidden();
    }

    private void ensure(int pos) {
        while (hiddenAt.size() <= pos) {
            hiddenAt.add(new float[layers][]);
            expertsAt.add(new int[layers][]);
        }
    }

    @Override
    public void beforeRouting(int layer, int pos0, int n, Buf x) {
        float[] all = new float[n * hidden]; // (n, hidden)
        backend.read(x, all, 0, all.length);
        for (int t = 0; t < n; t++) {
            ensure(pos0 + t);
            float[] row = new float[hidden];
            System.arraycopy(all, t * hidden, row, 0, hidden);
            hiddenAt.get(pos0 + t)[layer] = row;
        }
    }

    @Override
    public void onRouted(int layer, int pos0, int[][] experts, float[][] weights) {
        for (int t = 0; t < experts.length; t++) {
            ensure(pos0 + t);
            expertsAt.get(pos0 + t)[layer] = experts[t].clone();
        }
    }

    /** The recorded positions 0 .. last as a sequence, and a reset for the next prompt. */
    public RoutingDataset.Sequence finish(String name) {
        int n = expertsAt.size();
        float[][][] h = hiddenAt.toArray(new float[n][][]);
        int[][][] e = expertsAt.toArray(new int[n][][]);
        for (int t = 0; t < n; t++) {
            for (int l = 0; l < layers; l++) {
                if ((h[t][l] == null) != (e[t][l] == null)) {
                    throw new IllegalStateException("recording " + name + ": position " + t + " layer " + l
                            + ": expected both router input and route, found only " + (h[t][l] == null ? "the route" : "the input"));
                }
            }
        }
        hiddenAt.clear();
        expertsAt.clear();
        return new RoutingDataset.Sequence(name, h, e);
    }
}
