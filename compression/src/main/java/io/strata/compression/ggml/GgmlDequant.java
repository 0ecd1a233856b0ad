// Scalar dequantizers for the ggml block formats GGUF files use: the specification of each layout.
package io.strata.compression.ggml;

import io.strata.compression.Halfs;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Turns ggml blocks into floats, one plain loop per type written from the block layouts of
 * ggml (ggml-common.h) and in the same arithmetic order as its reference dequantizers, so
 * every value is the float ggml computes. Tested block by block against the numpy
 * dequantizers of the {@code gguf} Python package (tools/gguf-fixtures/make_fixtures.py).
 *
 * <p>Block layouts (little-endian; d, dmin are f16 unless said otherwise):
 * <ul>
 * <li>Q8_0 (32 values, 34 bytes): d, int8 q[32]; y = d·q
 * <li>Q4_0 (32, 18): d, u8 qs[16]; y[j] = d·((qs[j] &amp; 15) − 8), y[j+16] = d·((qs[j] &gt;&gt; 4) − 8)
 * <li>Q4_K (256, 144): d, dmin, u8 scales[12] (eight 6-bit scale/min pairs), u8 qs[128]
 * <li>Q5_K (256, 176): d, dmin, scales[12], u8 qh[32] (fifth bits), u8 qs[128]
 * <li>Q6_K (256, 210): u8 ql[128] (low 4 bits), u8 qh[64] (high 2 bits), int8 scales[16], d
 * <li>MXFP4 (32, 17): u8 e (e8m0 exponent), u8 qs[16] of e2m1 nibbles; y = 2^(e−128)·2·e2m1
 * </ul>
 */
public final class GgmlDequant {
    private GgmlDequant() {}

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** e2m1 values doubled (ggml's kvalues_mxfp4); the e8m0 scale is halved to match. */
    private static final float[] MXFP4_VALUES = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

    /**
     * Dequantizes n elements (a multiple of the block size) starting at byte offset off of src
     * into dst[dstOff .. dstOff + n).
     */
    public static void dequantize(GgmlType t, MemorySegment src, long off, float[] dst, int dstOff, int n) {
        if (n % t.blockSize != 0) {
            throw new IllegalArgumentException(t + ": " + n + " elements is not a whole number of " + t.blockSize + "-element blocks");
        }
        int blocks = n / t.blockSize;
        for (int b = 0; b < blocks; b++) {
            long p = off + (long) b * t.typeSize;
            int o = dstOff + b * t.blockSize;
            switch (t) {
                case F32 -> dst[o] = src.get(F32, p);
                case F16 -> dst[o] = Halfs.f16ToFloat(src.get(I16, p));
                case BF16 -> dst[o] = Halfs.bf16ToFloat(src.get(I16, p));
                case Q8_0 -> q8_0(src, p, dst, o);
                case Q4_0 -> q4_0(src, p, dst, o);
                case Q4_K -> q4_k(src, p, dst, o);
                case Q5_K -> q5_k(src, p, dst, o);
                case Q6_K -> q6_k(src, p, dst, o);
                case MXFP4 -> mxfp4(src, p, dst, o);
                default -> throw new IllegalArgumentException("no dequantizer for ggml type " + t + " (supported: "
                        + GgmlType.supportedNames() + ")");
            }
        }
    }

    private static int u8(MemorySegment s, long p) {
        return s.get(ValueLayout.JAVA_BYTE, p) & 0xFF;
    }

    private static float f16(MemorySegment s, long p) {
        return Halfs.f16ToFloat(s.get(I16, p));
    }

    static void q8_0(MemorySegment s, long p, float[] y, int o) {
        float d = f16(s, p);
        for (int j = 0; j < 32; j++) y[o + j] = s.get(ValueLayout.JAVA_BYTE, p + 2 + j) * d;
    }

    static void q4_0(MemorySegment s, long p, float[] y, int o) {
        float d = f16(s, p);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, p + 2 + j);
            y[o + j] = ((q & 0x0F) - 8) * d;
            y[o + j + 16] = ((q >> 4) - 8) * d;
        }
    }

    /** The 6-bit scale (index 0) and min (index 1) of sub-block j of a K-quant's 12 scale bytes at p. */
    private static void scaleMinK4(int j, MemorySegment s, long p, int[] out) {
        if (j < 4) {
            out[0] = u8(s, p + j) & 63;
            out[1] = u8(s, p + j + 4) & 63;
        } else {
            out[0] = (u8(s, p + j + 4) & 0xF) | ((u8(s, p + j - 4) >> 6) << 4);
            out[1] = (u8(s, p + j + 4) >> 4) | ((u8(s, p + j) >> 6) << 4);
        }
    }

    static void q4_k(MemorySegment s, long p, float[] y, int o) {
        float d = f16(s, p), dmin = f16(s, p + 2);
        long sc = p + 4, q = p + 16;
        int[] sm = new int[2];
        int is = 0;
        for (int j = 0; j < 256; j += 64) {
            scaleMinK4(is, s, sc, sm);
            float d1 = d * sm[0], m1 = dmin * sm[1];
            scaleMinK4(is + 1, s, sc, sm);
            float d2 = d * sm[0], m2 = dmin * sm[1];
            for (int l = 0; l < 32; l++) y[o++] = d1 * (u8(s, q + l) & 0xF) - m1;
            for (int l = 0; l < 32; l++) y[o++] = d2 * (u8(s, q + l) >> 4) - m2;
            q += 32;
            is += 2;
        }
    }

    static void q5_k(MemorySegment s, long p, float[] y, int o) {
        float d = f16(s, p), dmin = f16(s, p + 2);
        long sc = p + 4, qh = p + 16, ql = p + 48;
        int[] sm = new int[2];
        int is = 0, u1 = 1, u2 = 2;
        for (int j = 0; j < 256; j += 64) {
            scaleMinK4(is, s, sc, sm);
            float d1 = d * sm[0], m1 = dmin * sm[1];
            scaleMinK4(is + 1, s, sc, sm);
            float d2 = d * sm[0], m2 = dmin * sm[1];
            for (int l = 0; l < 32; l++) y[o++] = d1 * ((u8(s, ql + l) & 0xF) + ((u8(s, qh + l) & u1) != 0 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; l++) y[o++] = d2 * ((u8(s, ql + l) >> 4) + ((u8(s, qh + l) & u2) != 0 ? 16 : 0)) - m2;
            ql += 32;
            is += 2;
            u1 <<= 2;
            u2 <<= 2;
        }
    }

    static void q6_k(MemorySegment s, long p, float[] y, int o) {
        long ql = p, qh = p + 128, sc = p + 192;
        float d = f16(s, p + 208);
        for (int n = 0; n < 256; n += 128) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int h = u8(s, qh + l);
                int q1 = ((u8(s, ql + l) & 0xF) | ((h & 3) << 4)) - 32;
                int q2 = ((u8(s, ql + l + 32) & 0xF) | (((h >> 2) & 3) << 4)) - 32;
                int q3 = ((u8(s, ql + l) >> 4) | (((h >> 4) & 3) << 4)) - 32;
                int q4 = ((u8(s, ql + l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32;
                y[o + l] = d * s.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                y[o + l + 32] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                y[o + l + 64] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                y[o + l + 96] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
            }
            o += 128;
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }

    /** ggml's e8m0 "half" scale: 2^(e − 128), subnormal for e &lt; 2 (exact: a power of two). */
    public static float e8m0Half(int e) {
        return e < 2 ? Float.intBitsToFloat(0x00200000 << e) : Float.intBitsToFloat((e - 1) << 23);
    }

    static void mxfp4(MemorySegment s, long p, float[] y, int o) {
        float d = e8m0Half(u8(s, p));
        for (int j = 0; j < 16; j++) {
            int q = u8(s, p + 1 + j);
            y[o + j] = d * MXFP4_VALUES[q & 0xF];
            y[o + j + 16] = d * MXFP4_VALUES[q >> 4];
        }
    }
}
