// Experts kept as block-scaled FP8 (E4M3 codes + F32 scale_inv per block), as DeepSeek-V3 and Qwen3-FP8 ship them.
package io.strata.compression.codec;

import io.strata.compression.DType;
import io.strata.compression.Fp8;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import io.strata.compression.fp8.Fp8Matrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Layout ({@code A = align4096}; br × bc = the checkpoint's {@code weight_block_size}, 128 × 128 by default):
 * <pre>
 *   gate        f8_e4m3 [I, H]                      at 0
 *   gate_scale  f32     [ceil(I/br), ceil(H/bc)]    at A(...)
 *   up, up_scale, down [H, I], down_scale            likewise, each at the next aligned offset
 * </pre>
 * W[r][c] = e4m3(codes[r][c]) · scale[r / br][c / bc] ({@link Fp8Matrix}). Scales are F32 whatever the checkpoint
 * stored (BF16 or F16 scales widen exactly). Name: {@code "fp8"} for 128 × 128 blocks, {@code "fp8-b<R>x<C>"}
 * otherwise. Packing keeps a checkpoint's codes and scales ({@link #keep}); {@link #encode} quantizes floats as
 * DeepSeek-V3 does (scale = amax / 448 per block, codes rounded to nearest even).
 */
public final class Fp8Codec implements ExpertCodec {
    public static final String NAME = "fp8";
    private final int br, bc;

    public Fp8Codec(int br, int bc) {
        if (br <= 0 || bc <= 0) throw new IllegalArgumentException("FP8 block " + br + "x" + bc + " must be positive");
        this.br = br;
        this.bc = bc;
    }

    /** "fp8" or "fp8-b32x32". */
    public static Fp8Codec parse(String name) {
        if (name.equals(NAME)) return new Fp8Codec(128, 128);
        var m = java.util.regex.Pattern.compile("fp8-b(\\d{1,5})x(\\d{1,5})").matcher(name);
        if (!m.matches()) throw new IllegalArgumentException("expert codec '" + name + "': expected fp8 or fp8-b<rows>x<cols>");
        return new Fp8Codec(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    public int blockRows() {
        return br;
    }

    public int blockCols() {
        return bc;
    }

    @Override
    public String name() {
        return br == 128 && bc == 128 ? NAME : NAME + "-b" + br + "x" + bc;
    }

    @Override
    public CodecParams layout(int hidden, int intermediate) {
        Parts.Builder b = new Parts.Builder();
        part(b, "gate", intermediate, hidden);
        part(b, "up", intermediate, hidden);
        part(b, "down", hidden, intermediate);
        return b.build(name(), hidden, intermediate, 0, null);
    }

    private void part(Parts.Builder b, String name, int rows, int cols) {
        int sr = (rows + br - 1) / br, sc = (cols + bc - 1) / bc;
        b.add(name, "f8_e4m3", (long) rows * cols, rows, cols).add(name + "_scale", "f32", 4L * sr * sc, sr, sc);
    }

    /** Copies the three matrices' codes and scales into a blob (their blocks must be this codec's). */
    public EncodedExpert keep(Fp8Matrix g, Fp8Matrix u, Fp8Matrix d, Arena arena) {
        CodecParams p = layout(g.cols(), g.rows());
        EncodedExpert e = new EncodedExpert(p, arena.allocate(p.totalBytes(), ExpertCodec.PART_ALIGN));
        copy(g, "gate", e);
        copy(u, "up", e);
        copy(d, "down", e);
        return e;
    }

    private void copy(Fp8Matrix m, String name, EncodedExpert e) {
        PartLayout p = e.params().part(name);
        if (m.rows() != p.rows() || m.cols() != p.cols() || m.br() != br || m.bc() != bc) {
            throw new IllegalArgumentException("expert " + name + " " + m.name() + ": expected [" + p.rows() + ", " + p.cols() + "] in "
                    + br + "x" + bc + " blocks, found [" + m.rows() + ", " + m.cols() + "] in " + m.br() + "x" + m.bc() + " blocks");
        }
        MemorySegment.copy(m.codes(), 0, e.part(name), 0, p.bytes());
        MemorySegment.copy(m.scales(), 0, e.part(name + "_scale"), 0, e.params().part(name + "_scale").bytes());
    }

    @Override
    public EncodedExpert encode(ExpertWeights w, Arena arena) {
        CodecParams p = layout(w.hidden(), w.intermediate());
        EncodedExpert e = new EncodedExpert(p, arena.allocate(p.totalBytes(), ExpertCodec.PART_ALIGN));
        quantize(w.gate(), e.part("gate"), e.part("gate_scale"));
        quantize(w.up(), e.part("up"), e.part("up_scale"));
        quantize(w.down(), e.part("down"), e.part("down_scale"));
        return e;
    }

    private void quantize(Matrix m, MemorySegment codes, MemorySegment scales) {
        int rows = m.rows(), cols = m.cols(), sc = (cols + bc - 1) / bc;
        for (int r0 = 0; r0 < rows; r0 += br) {
            for (int c0 = 0; c0 < cols; c0 += bc) {
                int r1 = Math.min(rows, r0 + br), c1 = Math.min(cols, c0 + bc);
                float amax = 0f;
                for (int r = r0; r < r1; r++) for (int c = c0; c < c1; c++) amax = Math.max(amax, Math.abs(m.get(r, c)));
                float s = Math.max(amax, 1e-12f) / 448f;
                scales.setAtIndex(Layouts.F32, (long) (r0 / br) * sc + c0 / bc, s);
                for (int r = r0; r < r1; r++) {
                    for (int c = c0; c < c1; c++) codes.set(ValueLayout.JAVA_BYTE, (long) r * cols + c, Fp8.floatToE4m3(m.get(r, c) / s));
                }
            }
        }
    }

    @Override
    public ExpertWeights decode(EncodedExpert e, Arena arena) {
        checkLayout(e);
        return new ExpertWeights(dequantize(view(e, "gate"), arena), dequantize(view(e, "up"), arena), dequantize(view(e, "down"), arena));
    }

    private static Matrix dequantize(Fp8Matrix m, Arena arena) {
        float[] v = new float[Math.multiplyExact(m.rows(), m.cols())];
        Fp8.dequantizeBlockScaled(m.codes(), m.scales(), DType.F32, m.rows(), m.cols(), m.br(), m.bc(), v);
        MemorySegment out = arena.allocate(4L * v.length, 64);
        MemorySegment.copy(v, 0, out, Layouts.F32, 0, v.length);
        return new Matrix(m.name(), out, DType.F32, m.rows(), m.cols());
    }

    /** Part {@code name} ("gate", "up", "down") with its scales as an FP8 matrix view on the blob, for the kernels. */
    public static Fp8Matrix view(EncodedExpert e, String name) {
        PartLayout p = e.params().part(name);
        Fp8Codec c = parse(e.params().codec()); // the block size travels in the codec name
        return new Fp8Matrix(name, p.rows(), p.cols(), c.br, c.bc, e.part(name), e.part(name + "_scale"));
    }
}
