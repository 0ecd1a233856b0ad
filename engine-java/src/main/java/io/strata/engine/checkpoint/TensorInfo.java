// One tensor of a safetensors file: where it is and what it holds.
package io.strata.engine.checkpoint;

import io.strata.compression.DType;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * @param data the tensor's bytes (a slice of the file mapping), exactly numel * dtype.bytes
 */
public record TensorInfo(String name, Path file, DType dtype, long[] shape, MemorySegment data) {
    public long numel() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
