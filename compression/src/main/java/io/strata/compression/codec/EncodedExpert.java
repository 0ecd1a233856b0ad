// An encoded expert: its blob and the parameters that say how to read it.
package io.strata.compression.codec;

import java.lang.foreign.MemorySegment;

/**
 * @param params layout of the blob
 * @param blob   exactly {@code params.totalBytes()} bytes
 */
public record EncodedExpert(CodecParams params, MemorySegment blob) {
    public EncodedExpert {
        if (blob.byteSize() != params.totalBytes()) {
            throw new IllegalArgumentException(params.codec() + " expert [H=" + params.hidden() + ", I=" + params.intermediate()
                    + "]: blob must be " + params.totalBytes() + " bytes, found " + blob.byteSize());
        }
        for (PartLayout p : params.parts()) {
            if (p.offset() < 0 || p.end() > params.totalBytes()) {
                throw new IllegalArgumentException(params.codec() + " part " + p.name() + ": [" + p.offset() + ", " + p.end()
                        + ") lies outside the " + params.totalBytes() + "-byte blob");
            }
        }
    }

    /** The bytes of one part (a slice of the blob, no copy). */
    public MemorySegment part(String name) {
        PartLayout p = params.part(name);
        return blob.asSlice(p.offset(), p.bytes());
    }
}
