// Builds small stores with known contents for the store and tier tests.
package io.strata.tiering.store;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.compression.DType;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import io.strata.tiering.ExpertWeights;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

public final class StoreTestData {
    private StoreTestData() {}

    /** The value of element i of (layer, expert, matrix m): a formula the tests recompute independently. */
    public static float value(int layer, int expert, int m, long i) {
        return (float) (layer * 1000 + expert * 10 + m) + (i % 97) / 128f;
    }

    /** F32 matrix (rows, cols) filled with {@link #value}. */
    public static Matrix matrix(Arena a, String name, int layer, int expert, int m, int rows, int cols) {
        MemorySegment s = a.allocate((long) rows * cols * 4);
        for (long i = 0; i < (long) rows * cols; i++) {
            s.setAtIndex(Layouts.F32, i, value(layer, expert, m, i));
        }
        return new Matrix(name, s, DType.F32, rows, cols);
    }

    /** gate, up: (inter, hidden); down: (hidden, inter). */
    public static ExpertWeights expert(Arena a, int layer, int expert, int hidden, int inter) {
        return new ExpertWeights(matrix(a, "gate", layer, expert, 0, inter, hidden), matrix(a, "up", layer, expert, 1, inter, hidden),
                matrix(a, "down", layer, expert, 2, hidden, inter));
    }

    public static ObjectNode config(int hidden, int inter) {
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put("model_type", "test").put("hidden_size", hidden).put("intermediate_size", inter);
        return c;
    }

    /** Writes and commits a complete store of layers × experts dense F32 experts and two dense tensors. */
    public static Path write(Path out, int layers, int experts, int hidden, int inter) {
        try (Arena a = Arena.ofConfined();
             StoreWriter w = StoreWriter.create(out, config(hidden, inter), "dense", layers, experts)) {
            for (int l = 0; l < layers; l++) {
                for (int e = 0; e < experts; e++) {
                    w.writeExpert(l, e, expert(a, l, e, hidden, inter));
                }
            }
            Matrix emb = matrix(a, "embed", 99, 0, 0, 3, hidden);
            w.writeDense("model.embed_tokens.weight", DType.F32, new long[] {3, hidden}, emb.data());
            Matrix norm = matrix(a, "norm", 98, 0, 0, 1, hidden);
            w.writeDense("model.norm.weight", DType.F32, new long[] {hidden}, norm.data());
            return w.commit();
        }
    }

    /** Asserts an expert's matrices hold the values {@link #value} gives. */
    public static void check(ExpertWeights w, int layer, int expert) {
        Matrix[] ms = {w.gate(), w.up(), w.down()};
        for (int m = 0; m < 3; m++) {
            for (int r = 0; r < ms[m].rows(); r++) {
                for (int c = 0; c < ms[m].cols(); c++) {
                    float want = value(layer, expert, m, (long) r * ms[m].cols() + c);
                    if (ms[m].get(r, c) != want) {
                        throw new AssertionError("layer " + layer + " expert " + expert + " matrix " + m + " (" + r + ", " + c
                                + "): expected " + want + ", found " + ms[m].get(r, c));
                    }
                }
            }
        }
    }
}
