// The small JSON-able description of an encoded expert: codec, shape, parts and their offsets.
package io.strata.compression.codec;

import java.util.List;

/**
 * Everything needed to read an encoded expert blob besides its bytes; written to the store
 * manifest as JSON (Jackson serialises records as objects).
 *
 * @param codec        codec name ("bf16", "int8", "int4", "int2", "floe", ...)
 * @param hidden       H
 * @param intermediate I
 * @param groupSize    quantization group size of the quantized parts, 0 when there are none
 * @param threshold    FloE activation threshold t on |x·W_upᵀ| (per layer), null for other codecs
 * @param parts        the stored matrices in blob order
 * @param totalBytes   blob length: the last part's end rounded up to {@link ExpertCodec#PART_ALIGN}
 */
public record CodecParams(String codec, int hidden, int intermediate, int groupSize, Float threshold,
                          List<PartLayout> parts, long totalBytes) {
    public CodecParams {
        parts = List.copyOf(parts);
    }

    /** The part called {@code name}; fails naming the parts present. */
    public PartLayout part(String name) {
        for (PartLayout p : parts) if (p.name().equals(name)) return p;
        throw new IllegalArgumentException(codec + " expert has no part '" + name + "'; parts: "
                + parts.stream().map(PartLayout::name).toList());
    }

    /** Σ bytes of the parts (padding excluded). */
    public long partBytes() {
        return parts.stream().mapToLong(PartLayout::bytes).sum();
    }

    /** The same layout with another FloE threshold (thresholds are calibrated after packing). */
    public CodecParams withThreshold(float t) {
        return new CodecParams(codec, hidden, intermediate, groupSize, t, parts, totalBytes);
    }
}
