// A weight matrix made usable by a backend (CPU: the mapped memory itself; CUDA: a VRAM copy).
package io.strata.engine.backend;

import io.strata.compression.Matrix;

public interface Weight {
    /** The source matrix, shape (rows, cols) = (out_features, in_features). */
    Matrix matrix();

    default int rows() {
        return matrix().rows();
    }

    default int cols() {
        return matrix().cols();
    }
}
