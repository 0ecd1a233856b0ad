// Where dense weights come from: an unpacked checkpoint or a packed store.
package io.strata.engine.checkpoint;

import io.strata.compression.Matrix;

public interface WeightSource {
    boolean has(String name);

    /** A 2-D weight (rows, cols); fails naming file, tensor, expected and actual shape. */
    Matrix matrix(String name, int rows, int cols);

    /** A 1-D weight (len) as a (1, len) matrix. */
    Matrix vector(String name, int len);

    /**
     * The 2-D weight (rows, cols) as group-quantized codes when the source holds it so (a store packed with
     * {@code --dense}); null when it holds floats, which {@link #matrix} then serves.
     */
    default io.strata.compression.quant.QuantizedMatrix quantized(String name, int rows, int cols) {
        return null;
    }
}
