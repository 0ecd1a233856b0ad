// Test helper: the exact up projection of a dense expert.
package io.strata.compression.floe;

import io.strata.compression.codec.ExpertWeights;

final class DenseExpertAccess {
    private DenseExpertAccess() {}

    /** v = x·W_upᵀ in double precision. x: (H), v: (I). */
    static void up(ExpertWeights w, float[] x, float[] v) {
        for (int i = 0; i < w.intermediate(); i++) {
            double acc = 0;
            for (int c = 0; c < w.hidden(); c++) acc += (double) w.up().get(i, c) * x[c];
            v[i] = (float) acc;
        }
    }
}
