// Dense (non-expert) weights of a packed store, as a WeightSource for the model.
package io.strata.engine.store;

import io.strata.compression.DType;
import io.strata.compression.Matrix;
import io.strata.compression.quant.QuantizedMatrix;
import io.strata.engine.checkpoint.CheckpointException;
import io.strata.engine.checkpoint.WeightSource;
import io.strata.tiering.store.PackedStore;
import java.util.Arrays;

public final class PackedWeightSource implements WeightSource {
    private final PackedStore store;

    public PackedWeightSource(PackedStore store) {
        this.store = store;
    }

    @Override
    public boolean has(String name) {
        return store.denseNames().contains(name);
    }

    private PackedStore.DenseTensor get(String name, long[] shape) {
        if (!has(name)) {
            throw new CheckpointException(store.directory() + ": missing dense tensor " + name + " (expected shape " + Arrays.toString(shape) + ")");
        }
        PackedStore.DenseTensor t = store.dense(name);
        if (!Arrays.equals(t.shape(), shape)) {
            throw new CheckpointException(store.directory() + ": dense tensor " + name + " has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(shape));
        }
        return t;
    }

    @Override
    public Matrix matrix(String name, int rows, int cols) {
        PackedStore.DenseTensor t = get(name, new long[] {rows, cols});
        if (t.quant() != null) {
            throw new CheckpointException(store.directory() + ": dense tensor " + name + " is stored " + t.quant().label()
                    + " (packed with --dense); it is read as quantized codes, and this use of it needs floats");
        }
        return new Matrix(name, t.data(), t.dtype(), rows, cols);
    }

    @Override
    public QuantizedMatrix quantized(String name, int rows, int cols) {
        if (!has(name)) return null;
        PackedStore.DenseTensor t = get(name, new long[] {rows, cols});
        return t.quant() == null ? null : t.quantized();
    }

    @Override
    public Matrix vector(String name, int len) {
        PackedStore.DenseTensor t = get(name, new long[] {len});
        DType dt = t.dtype();
        return new Matrix(name, t.data(), dt, 1, len);
    }
}
