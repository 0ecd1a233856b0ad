// One tensor of a GGUF file: name, ggml type, dimensions as ggml orders them, and its mapped bytes.
package io.strata.engine.checkpoint.gguf;

import io.strata.compression.ggml.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * @param ne   dimensions, fastest first (ggml order): a weight of (rows, cols) has ne = [cols, rows]
 * @param data the tensor's bytes, a slice of the file mapping: numel / blockSize * typeSize bytes
 */
public record GgufTensor(String name, Path file, GgmlType type, long[] ne, MemorySegment data) {
    public long numel() {
        long n = 1;
        for (long d : ne) n *= d;
        return n;
    }

    /** The shape as Hugging Face orders it (slowest first): ne reversed. */
    public long[] hfShape() {
        long[] s = new long[ne.length];
        for (int i = 0; i < ne.length; i++) s[i] = ne[ne.length - 1 - i];
        return s;
    }

    public String neString() {
        return Arrays.toString(ne);
    }
}
