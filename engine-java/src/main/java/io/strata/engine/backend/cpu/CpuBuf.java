// Heap-backed f32 buffer of the CPU backend.
package io.strata.engine.backend.cpu;

import io.strata.engine.backend.Buf;

/** A window [off, off + len) of a float array. */
public record CpuBuf(float[] a, int off, int len) implements Buf {
    @Override
    public int length() {
        return len;
    }

    @Override
    public Buf slice(int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > len) {
            throw new IndexOutOfBoundsException("slice [" + offset + ", " + (offset + length) + ") of buffer of " + len);
        }
        return new CpuBuf(a, off + offset, length);
    }
}
