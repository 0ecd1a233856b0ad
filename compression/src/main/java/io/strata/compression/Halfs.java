// Conversions between float and the two 16-bit float formats (bf16, IEEE f16).
package io.strata.compression;

/** Scalar conversions; the specification the vector kernels are tested against. */
public final class Halfs {
    private Halfs() {}

    /** bf16 bits (low 16 bits of the short) to float: bf16 is the top half of an f32. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** float to bf16 with round-to-nearest-even, as PyTorch does; NaN stays NaN. */
    public static short floatToBf16(float f) {
        int x = Float.floatToRawIntBits(f);
        if ((x & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((x >>> 16) | 0x40); // quiet NaN
        }
        int rounding = 0x7FFF + ((x >>> 16) & 1);
        return (short) ((x + rounding) >>> 16);
    }

    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    public static short floatToF16(float f) {
        return Float.floatToFloat16(f);
    }
}
