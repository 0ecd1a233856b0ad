// Element types of dense tensors as checkpoints store them (safetensors names).
package io.strata.compression;

/** A dense element type; {@link #bytes} is the size of one element in bytes. */
public enum DType {
    F32(4), F16(2), BF16(2), I32(4), I64(8), U8(1), I8(1),
    /** FP8 E4M3 ("fn": no infinities, 0x7F/0xFF NaN, max 448), with block scales beside it ({@link Fp8}). */
    F8_E4M3(1);

    public final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Parses a safetensors dtype name ("F32", "BF16", ...). */
    public static DType fromSafetensors(String name) {
        try {
            return DType.valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unsupported dtype '" + name + "' (expected one of F32, F16, BF16, F8_E4M3, I32, I64, U8, I8)");
        }
    }

    /** True for the float types a weight matrix may have. */
    public boolean isFloat() {
        return this == F32 || this == F16 || this == BF16;
    }
}
