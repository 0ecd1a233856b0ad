// FP8 E4M3 values and the 128x128 block-scaled FP8 weights of DeepSeek-V3 and the Qwen3 FP8 releases.
package io.strata.compression;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * E4M3 "fn" (PyTorch's float8_e4m3fn): 1 sign bit, 4 exponent bits (bias 7), 3 mantissa bits;
 * exponent 0 is subnormal (m · 2^-9), S.1111.111 is NaN and there is no infinity, so the
 * largest value is 448. A block-scaled weight (rows, cols) comes with {@code weight_scale_inv}
 * of shape (ceil(rows / br), ceil(cols / bc)) and means W[r][c] = fp8[r][c] · scale_inv[r / br][c / bc]
 * (the name is the checkpoint's: the inverse of the scale used to quantize).
 */
public final class Fp8 {
    private Fp8() {}

    /** All 256 E4M3 values, indexed by the byte (unsigned). */
    private static final float[] E4M3 = new float[256];

    static {
        for (int b = 0; b < 256; b++) E4M3[b] = decodeE4m3(b);
    }

    /** The specification: decodes one E4M3 byte by its fields. */
    static float decodeE4m3(int b) {
        int sign = (b >> 7) & 1, exp = (b >> 3) & 0xF, man = b & 7;
        float v;
        if (exp == 0xF && man == 7) v = Float.NaN;
        else if (exp == 0) v = man * 0x1p-9f;
        else v = (1 + man / 8f) * (float) Math.scalb(1.0, exp - 7);
        return sign == 1 ? -v : v;
    }

    public static float e4m3ToFloat(byte b) {
        return E4M3[b & 0xFF];
    }

    /**
     * The E4M3 byte nearest to f, ties to the even code (PyTorch's {@code .to(torch.float8_e4m3fn)}), saturating at
     * ±448 (that cast would give NaN past 464; quantizers scale into range first). NaN stays NaN.
     */
    public static byte floatToE4m3(float f) {
        if (Float.isNaN(f)) return (byte) 0x7F;
        int sign = f < 0 || (f == 0f && 1f / f < 0) ? 0x80 : 0;
        float a = Math.abs(f);
        // E4M3[0..126] are the finite non-negative values in increasing order: binary search the first >= a.
        int lo = 0, hi = 126;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (E4M3[mid] < a) lo = mid + 1;
            else hi = mid;
        }
        int code = lo;
        if (code > 0 && E4M3[code] != a) {
            float up = E4M3[code] - a, down = a - E4M3[code - 1];
            if (a > E4M3[126]) code = 126;
            else if (down < up || (down == up && ((code - 1) & 1) == 0)) code--;
        }
        return (byte) (sign | code);
    }

    /**
     * Dequantizes a block-scaled FP8 weight.
     *
     * @param fp8       (rows, cols) E4M3 bytes, row-major
     * @param scales    (ceil(rows / br), ceil(cols / bc)) scale_inv values of scaleType (F32, BF16 or F16)
     * @param out       (rows, cols) floats, row-major
     */
    public static void dequantizeBlockScaled(MemorySegment fp8, MemorySegment scales, DType scaleType, int rows, int cols,
                                             int br, int bc, float[] out) {
        int scaleCols = (cols + bc - 1) / bc;
        for (int r = 0; r < rows; r++) {
            long rowBase = (long) r * cols;
            int sr = r / br;
            for (int c = 0; c < cols; c++) {
                float s = scale(scales, scaleType, (long) sr * scaleCols + c / bc);
                out[(int) (rowBase + c)] = E4M3[fp8.get(ValueLayout.JAVA_BYTE, rowBase + c) & 0xFF] * s;
            }
        }
    }

    private static float scale(MemorySegment s, DType t, long i) {
        return switch (t) {
            case F32 -> s.getAtIndex(Layouts.F32, i);
            case BF16 -> Halfs.bf16ToFloat(s.getAtIndex(Layouts.I16, i));
            case F16 -> Halfs.f16ToFloat(s.getAtIndex(Layouts.I16, i));
            default -> throw new IllegalArgumentException("FP8 scales must be F32, BF16 or F16, found " + t);
        };
    }
}
