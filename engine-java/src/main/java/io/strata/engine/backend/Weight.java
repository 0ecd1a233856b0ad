// A weight matrix made usable by a backend (CPU: the mapped memory itself; CUDA: a VRAM copy).
package io.strata.engine.backend;

import io.strata.compression.Matrix;
import io.strata.compression.quant.QuantizedMatrix;

public interface Weight {
    /**
     * The float source matrix, shape (rows, cols) = (out_features, in_features); null for a weight made from a
     * {@link QuantizedMatrix} (see {@link #quantized()}).
     */
    Matrix matrix();

    /** The group-quantized source matrix, or null for a float weight. */
    default QuantizedMatrix quantized() {
        return null;
    }

    default int rows() {
        return matrix() != null ? matrix().rows() : quantized().rows();
    }

    default int cols() {
        return matrix() != null ? matrix().cols() : quantized().cols();
    }

    /** Bytes a product with this weight reads: the float matrix's, or the quantized codes' with their scales and zeros. */
    default long byteSize() {
        return matrix() != null ? matrix().byteSize() : quantized().byteSize();
    }

    /** The tensor's name, for errors. */
    default String name() {
        return matrix() != null ? matrix().name() : quantized().name();
    }
}
