// MXFP4 experts: gate, up and down as ggml MXFP4 blocks (e8m0 scale + 32 e2m1 values in 17 bytes), as gpt-oss ships them.
package io.strata.compression.codec;

import io.strata.compression.DType;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import io.strata.compression.ggml.GgmlDequant;
import io.strata.compression.ggml.GgmlMatrix;
import io.strata.compression.ggml.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Layout ({@code A = align4096}, {@code B(R, C) = R · C/32 · 17} bytes):
 * <pre>
 *   gate  mxfp4 [I, H]  at 0
 *   up    mxfp4 [I, H]  at A(B(I, H))
 *   down  mxfp4 [H, I]  at 2·A(B(I, H))
 * </pre>
 * Each row is {@code cols/32} ggml MXFP4 blocks: byte 0 the e8m0 exponent e, bytes 1..16 the e2m1 codes of elements
 * j (low nibble) and j + 16 (high nibble); element = 2^(e−128) · 2·e2m1 ({@link GgmlDequant}). H and I must be
 * multiples of 32. Encoding is llama.cpp's reference quantizer (gguf-py {@code MXFP4.quantize_blocks}): e =
 * ⌊log2 max|x|⌋ − 2 + 127, each element the nearest code (lowest code on ties). A weight that already is MXFP4 (gpt-oss,
 * dequantized) comes back with the same scale and codes, so packing a gpt-oss checkpoint keeps its bytes' values.
 */
public final class Mxfp4Codec implements ExpertCodec {
    public static final String NAME = "mxfp4";
    public static final int BLOCK = 32, BLOCK_BYTES = 17;
    /** ggml's kvalues_mxfp4: the e2m1 values doubled (the scale is halved to match). */
    private static final int[] KVALUES = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public CodecParams layout(int hidden, int intermediate) {
        if (hidden % BLOCK != 0 || intermediate % BLOCK != 0) {
            throw new IllegalArgumentException("mxfp4 experts need hidden and intermediate sizes that are multiples of 32, found hidden "
                    + hidden + ", intermediate " + intermediate);
        }
        return new Parts.Builder().mxfp4("gate", intermediate, hidden).mxfp4("up", intermediate, hidden).mxfp4("down", hidden, intermediate)
                .build(NAME, hidden, intermediate, BLOCK, null);
    }

    /** Bytes of an MXFP4 matrix (rows, cols). */
    public static long bytes(int rows, int cols) {
        return (long) rows * (cols / BLOCK) * BLOCK_BYTES;
    }

    @Override
    public EncodedExpert encode(ExpertWeights w, Arena arena) {
        CodecParams p = layout(w.hidden(), w.intermediate());
        MemorySegment blob = arena.allocate(p.totalBytes(), ExpertCodec.PART_ALIGN);
        EncodedExpert e = new EncodedExpert(p, blob);
        quantize(w.gate(), e.part("gate"));
        quantize(w.up(), e.part("up"));
        quantize(w.down(), e.part("down"));
        return e;
    }

    @Override
    public ExpertWeights decode(EncodedExpert e, Arena arena) {
        checkLayout(e);
        return new ExpertWeights(dequantize(e, "gate", arena), dequantize(e, "up", arena), dequantize(e, "down", arena));
    }

    /** A part as a ggml matrix view on the blob (no copy): what the fused kernels read. */
    public static GgmlMatrix view(EncodedExpert e, String part) {
        PartLayout p = e.params().part(part);
        if (!p.format().equals(NAME)) throw new IllegalArgumentException("part " + part + " is " + p.format() + ", expected mxfp4");
        return new GgmlMatrix(part, GgmlType.MXFP4, p.rows(), p.cols(), e.part(part));
    }

    private static Matrix dequantize(EncodedExpert e, String part, Arena arena) {
        GgmlMatrix g = view(e, part);
        MemorySegment out = arena.allocate((long) g.rows() * g.cols() * 4, 64);
        float[] row = new float[g.cols()];
        for (int r = 0; r < g.rows(); r++) {
            GgmlDequant.dequantize(GgmlType.MXFP4, g.data(), r * g.rowBytes(), row, 0, g.cols());
            MemorySegment.copy(row, 0, out, Layouts.F32, (long) r * g.cols() * 4, g.cols());
        }
        return new Matrix(part, out, DType.F32, g.rows(), g.cols());
    }

    /** m (rows, cols), any float dtype, into dst as MXFP4 blocks, row by row. */
    static void quantize(Matrix m, MemorySegment dst) {
        int cols = m.cols();
        float[] row = new float[cols];
        long o = 0;
        for (int r = 0; r < m.rows(); r++) {
            for (int c = 0; c < cols; c++) row[c] = m.get(r, c);
            for (int b = 0; b < cols; b += BLOCK) {
                quantizeBlock(row, b, dst, o);
                o += BLOCK_BYTES;
            }
        }
    }

    /** One block of 32 values x[off..off+32) into 17 bytes at dst[o]. */
    public static void quantizeBlock(float[] x, int off, MemorySegment dst, long o) {
        float amax = 0;
        for (int j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(x[off + j]));
        // e = floor(log2(amax)) − 2 + 127: the largest code (±6 = 2·kvalue 12 · half scale) then covers amax.
        int e = amax > 0 ? Math.getExponent(amax) - 2 + 127 : 0;
        e = Math.max(0, Math.min(254, e)); // 255 is e8m0's NaN
        float d = GgmlDequant.e8m0Half(e);
        dst.set(ValueLayout.JAVA_BYTE, o, (byte) e);
        for (int j = 0; j < 16; j++) {
            int lo = nearest(x[off + j], d), hi = nearest(x[off + j + 16], d);
            dst.set(ValueLayout.JAVA_BYTE, o + 1 + j, (byte) (lo | hi << 4));
        }
    }

    /** The code whose value d·KVALUES[code] is nearest to v (the lowest code on ties, as numpy's argmin). */
    private static int nearest(float v, float d) {
        int best = 0;
        float bestErr = Float.POSITIVE_INFINITY;
        for (int q = 0; q < 16; q++) {
            float err = Math.abs(d * KVALUES[q] - v);
            if (err < bestErr) {
                bestErr = err;
                best = q;
            }
        }
        return best;
    }
}
