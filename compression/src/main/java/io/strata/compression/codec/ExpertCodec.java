// How an expert's three matrices become one blob and back: the seam between packing and running.
package io.strata.compression.codec;

import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Encodes an expert at pack time and decodes it (or views its parts) at run time. Every blob is a
 * sequence of parts, each starting at a multiple of {@link #PART_ALIGN} bytes so that a part's
 * rows can be read with page-aligned I/O; {@link CodecParams} records the offsets.
 */
public interface ExpertCodec {
    /** Alignment of every part offset and of the blob length, bytes: one page, for O_DIRECT reads. */
    long PART_ALIGN = 4096;

    /** The name written to the manifest ("bf16", "int4", "floe", ...). */
    String name();

    /** The layout this codec gives an expert of hidden size H and intermediate size I (no weights needed). */
    CodecParams layout(int hidden, int intermediate);

    /** Encodes w (any float dtype) into a blob allocated from arena. */
    EncodedExpert encode(ExpertWeights w, Arena arena);

    /**
     * Decodes back to checkpoint orientation: gate {@code [I, H]}, up {@code [I, H]}, down {@code [H, I]}.
     * bf16 parts come back as BF16 matrices (bit-exact), quantized parts as dequantized F32.
     *
     * @throws IllegalArgumentException if the blob was written by another codec or its layout differs
     */
    ExpertWeights decode(EncodedExpert e, Arena arena);

    /** Bytes of each part by name, in blob order. */
    default Map<String, Long> partBytes(int hidden, int intermediate) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (PartLayout p : layout(hidden, intermediate).parts()) m.put(p.name(), p.bytes());
        return m;
    }

    /** Checks that e was written by this codec with the layout it would write now. */
    default void checkLayout(EncodedExpert e) {
        CodecParams p = e.params(), want = layout(p.hidden(), p.intermediate());
        if (!p.codec().equals(name())) {
            throw new IllegalArgumentException("expected a '" + name() + "' expert, found '" + p.codec() + "'");
        }
        if (!p.parts().equals(want.parts()) || p.totalBytes() != want.totalBytes()) {
            throw new IllegalArgumentException(name() + " expert [H=" + p.hidden() + ", I=" + p.intermediate()
                    + "]: expected layout " + want.parts() + " (" + want.totalBytes() + " bytes), found " + p.parts()
                    + " (" + p.totalBytes() + " bytes)");
        }
    }

    static long align(long n) {
        return (n + PART_ALIGN - 1) / PART_ALIGN * PART_ALIGN;
    }
}
