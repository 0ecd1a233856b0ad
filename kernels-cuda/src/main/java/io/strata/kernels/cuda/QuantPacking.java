// Host-side packing of the INT4/INT2 group-64 layout the fused dequantize kernels read, and its
// scalar reference (the specification the GPU kernels are tested against).
package io.strata.kernels.cuda;

import io.strata.compression.Halfs;

/** Min-max asymmetric group quantization into the layout of {@link QuantMatrix}. */
public final class QuantPacking {
    private QuantPacking() {}

    /**
     * A packed matrix: {@code q} (rows·cols·bits/8) bytes; {@code scales}, {@code zeros}
     * (rows·cols/64) raw f16 bits.
     */
    public record Packed(String name, int bits, int rows, int cols, byte[] q, short[] scales, short[] zeros) {
        /** Dequantized element (r, c): (q − zero) · scale with scale and zero rounded to f16. */
        public float get(int r, int c) {
            int perByte = 8 / bits;
            long idx = (long) r * cols + c;
            int b = q[(int) (idx / perByte)] & 0xFF;
            int v = (b >>> ((int) (idx % perByte) * bits)) & ((1 << bits) - 1);
            int g = r * (cols / LaunchConfig.QUANT_GROUP) + c / LaunchConfig.QUANT_GROUP;
            return (v - Halfs.f16ToFloat(zeros[g])) * Halfs.f16ToFloat(scales[g]);
        }
    }

    /**
     * Quantizes {@code w} (rows, cols) row-major f32: per group of 64 columns,
     * scale = (max − min) / (2^bits − 1), zero = −min / scale, q = round(w / scale + zero) clamped.
     */
    public static Packed pack(String name, float[] w, int rows, int cols, int bits) {
        LaunchConfig.checkQuantShape(bits, rows, cols, name);
        if (w.length != (long) rows * cols) throw new IllegalArgumentException(name + ": expected " + (long) rows * cols + " values, found " + w.length);
        int groups = cols / LaunchConfig.QUANT_GROUP;
        int qmax = (1 << bits) - 1;
        byte[] q = new byte[(int) ((long) rows * cols * bits / 8)];
        short[] scales = new short[rows * groups];
        short[] zeros = new short[rows * groups];
        int perByte = 8 / bits;
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < groups; g++) {
                int c0 = g * LaunchConfig.QUANT_GROUP;
                float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
                for (int c = c0; c < c0 + LaunchConfig.QUANT_GROUP; c++) {
                    float v = w[r * cols + c];
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
                float scale = hi > lo ? (hi - lo) / qmax : 1f;
                short sBits = Halfs.floatToF16(scale);
                float s = Halfs.f16ToFloat(sBits);
                short zBits = Halfs.floatToF16(-lo / s);
                float z = Halfs.f16ToFloat(zBits);
                scales[r * groups + g] = sBits;
                zeros[r * groups + g] = zBits;
                for (int c = c0; c < c0 + LaunchConfig.QUANT_GROUP; c++) {
                    int v = Math.round(w[r * cols + c] / s + z);
                    v = Math.max(0, Math.min(qmax, v));
                    long idx = (long) r * cols + c;
                    int bi = (int) (idx / perByte);
                    q[bi] = (byte) (q[bi] | (v << ((int) (idx % perByte) * bits)));
                }
            }
        }
        return new Packed(name, bits, rows, cols, q, scales, zeros);
    }

    /** Scalar reference: out[t·rows + r] = Σ_c W[r,c] · x[t·cols + c] on the dequantized values. */
    public static void matmulReference(Packed p, float[] x, int n, float[] out) {
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < p.rows(); r++) {
                double acc = 0;
                for (int c = 0; c < p.cols(); c++) acc += (double) p.get(r, c) * x[t * p.cols() + c];
                out[t * p.rows() + r] = (float) acc;
            }
        }
    }
}
