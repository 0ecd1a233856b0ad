// An f32 activation buffer that lives wherever the backend computes (heap, VRAM).
package io.strata.engine.backend;

/** A backend-owned f32 buffer of {@link #length()} elements; {@link #slice} views share memory. */
public interface Buf {
    int length();

    /** The elements [offset, offset + length) as a view on the same memory. */
    Buf slice(int offset, int length);
}
