// Experts kept in ggml block layouts (the bytes of a GGUF file's expert tensors): Q8_0, Q4_K, Q5_K, Q6_K, ...
package io.strata.compression.codec;

import io.strata.compression.DType;
import io.strata.compression.Halfs;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import io.strata.compression.ggml.GgmlDequant;
import io.strata.compression.ggml.GgmlMatrix;
import io.strata.compression.ggml.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.Set;

/**
 * Layout ({@code A = align4096}; each part is a {@link GgmlMatrix}: rows of {@code cols / blockSize} ggml blocks,
 * byte for byte as GGUF stores one expert of {@code ffn_*_exps}):
 * <pre>
 *   gate  TYPE_G [I, H]  at 0
 *   up    TYPE_U [I, H]  at A(size(gate))
 *   down  TYPE_D [H, I]  at A(size(gate)) + A(size(up))
 *   total A(end of down)
 * </pre>
 * The part's {@code format} is the type in lower case ("q4_k"). Name: {@code "gguf-<type>"} when the three parts
 * share a type, else {@code "gguf-<gate>-<up>-<down>"} (llama.cpp's Q4_K_M files store the down projection of some
 * layers as Q6_K). Packing keeps a GGUF file's bytes ({@link #keep}); encoding floats is implemented for Q8_0 only
 * (ggml's reference quantizer), the K-quants are kept, never re-made.
 */
public final class GgmlCodec implements ExpertCodec {
    public static final String PREFIX = "gguf-";
    /**
     * The types whose expert bytes are kept through the tiers: those with a Vector API matvec kernel on the CPU and
     * a CUDA kernel. MXFP4 has a CPU kernel too; it joins this set with the gpt-oss expert layout.
     */
    public static final Set<GgmlType> KEPT = Set.of(GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);

    private final GgmlType gate, up, down;

    public GgmlCodec(GgmlType gate, GgmlType up, GgmlType down) {
        for (GgmlType t : new GgmlType[] {gate, up, down}) {
            if (!KEPT.contains(t)) {
                throw new IllegalArgumentException("ggml type " + t + " has no expert layout (kept types: " + keptNames() + ")");
            }
        }
        this.gate = gate;
        this.up = up;
        this.down = down;
    }

    public GgmlCodec(GgmlType all) {
        this(all, all, all);
    }

    /** The kept types in lower case, sorted, for messages. */
    public static String keptNames() {
        return KEPT.stream().map(GgmlCodec::label).sorted().toList().toString();
    }

    static String label(GgmlType t) {
        return t.name().toLowerCase(Locale.ROOT);
    }

    /** The codec named {@code name} ("gguf-q4_k", "gguf-q4_k-q4_k-q6_k"). */
    public static GgmlCodec parse(String name) {
        String[] ts = name.substring(PREFIX.length()).split("-");
        if (ts.length != 1 && ts.length != 3) {
            throw new IllegalArgumentException("expert codec '" + name + "': expected gguf-<type> or gguf-<gate>-<up>-<down>");
        }
        GgmlType[] t = new GgmlType[ts.length];
        for (int i = 0; i < ts.length; i++) {
            try {
                t[i] = GgmlType.valueOf(ts[i].toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("expert codec '" + name + "': unknown ggml type '" + ts[i] + "' (kept types: " + keptNames() + ")");
            }
        }
        return ts.length == 1 ? new GgmlCodec(t[0]) : new GgmlCodec(t[0], t[1], t[2]);
    }

    public GgmlType gate() {
        return gate;
    }

    public GgmlType up() {
        return up;
    }

    public GgmlType down() {
        return down;
    }

    @Override
    public String name() {
        return gate == up && up == down ? PREFIX + label(gate) : PREFIX + label(gate) + "-" + label(up) + "-" + label(down);
    }

    @Override
    public CodecParams layout(int hidden, int intermediate) {
        Parts.Builder b = new Parts.Builder();
        part(b, "gate", gate, intermediate, hidden);
        part(b, "up", up, intermediate, hidden);
        part(b, "down", down, hidden, intermediate);
        return b.build(name(), hidden, intermediate, 0, null);
    }

    private static void part(Parts.Builder b, String name, GgmlType t, int rows, int cols) {
        if (cols % t.blockSize != 0) {
            throw new IllegalArgumentException("expert " + name + " [" + rows + ", " + cols + "]: " + cols + " columns is not a whole number of "
                    + t + " blocks of " + t.blockSize);
        }
        b.add(name, label(t), (long) rows * (cols / t.blockSize) * t.typeSize, rows, cols);
    }

    /** Copies the three matrices' ggml bytes into a blob (their types must be this codec's). */
    public EncodedExpert keep(GgmlMatrix g, GgmlMatrix u, GgmlMatrix d, Arena arena) {
        CodecParams p = layout(g.cols(), g.rows());
        MemorySegment blob = arena.allocate(p.totalBytes(), ExpertCodec.PART_ALIGN);
        EncodedExpert e = new EncodedExpert(p, blob);
        copy(g, gate, p.part("gate"), e);
        copy(u, up, p.part("up"), e);
        copy(d, down, p.part("down"), e);
        return e;
    }

    private static void copy(GgmlMatrix m, GgmlType want, PartLayout p, EncodedExpert e) {
        if (m.type() != want || m.rows() != p.rows() || m.cols() != p.cols()) {
            throw new IllegalArgumentException("expert " + p.name() + " " + m.name() + ": expected " + want + " [" + p.rows() + ", " + p.cols()
                    + "], found " + m.type() + " [" + m.rows() + ", " + m.cols() + "]");
        }
        MemorySegment.copy(m.data(), 0, e.blob(), p.offset(), p.bytes());
    }

    /** Quantizes float weights (Q8_0 only: ggml's quantize_row_q8_0_ref). */
    @Override
    public EncodedExpert encode(ExpertWeights w, Arena arena) {
        CodecParams p = layout(w.hidden(), w.intermediate());
        MemorySegment blob = arena.allocate(p.totalBytes(), ExpertCodec.PART_ALIGN);
        EncodedExpert e = new EncodedExpert(p, blob);
        quantize(w.gate(), gate, e.part("gate"));
        quantize(w.up(), up, e.part("up"));
        quantize(w.down(), down, e.part("down"));
        return e;
    }

    private static void quantize(Matrix m, GgmlType t, MemorySegment dst) {
        if (t != GgmlType.Q8_0) {
            throw new IllegalArgumentException("codec gguf-" + label(t) + " keeps " + t + " bytes from a GGUF file; Strata has no " + t
                    + " quantizer for " + m.name() + " (float weights can be packed as gguf-q8_0, int4, ...)");
        }
        long o = 0;
        for (int r = 0; r < m.rows(); r++) {
            for (int c0 = 0; c0 < m.cols(); c0 += 32, o += 34) {
                float amax = 0f;
                for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(m.get(r, c0 + j)));
                float d = amax / 127f, id = d != 0f ? 1f / d : 0f;
                dst.set(Layouts.I16, o, Halfs.floatToF16(d));
                for (int j = 0; j < 32; j++) {
                    float v = m.get(r, c0 + j) * id;
                    // roundf: half away from zero, as ggml's reference
                    dst.set(ValueLayout.JAVA_BYTE, o + 2 + j, (byte) (int) (Math.signum(v) * Math.floor(Math.abs(v) + 0.5f)));
                }
            }
        }
    }

    @Override
    public ExpertWeights decode(EncodedExpert e, Arena arena) {
        checkLayout(e);
        return new ExpertWeights(dequantize(view(e, "gate"), arena), dequantize(view(e, "up"), arena), dequantize(view(e, "down"), arena));
    }

    private static Matrix dequantize(GgmlMatrix m, Arena arena) {
        MemorySegment out = arena.allocate((long) m.rows() * m.cols() * 4, 64);
        float[] row = new float[m.cols()];
        for (int r = 0; r < m.rows(); r++) {
            GgmlDequant.dequantize(m.type(), m.data(), r * m.rowBytes(), row, 0, m.cols());
            MemorySegment.copy(row, 0, out, Layouts.F32, (long) r * m.cols() * 4, m.cols());
        }
        return new Matrix(m.name(), out, DType.F32, m.rows(), m.cols());
    }

    /** Part {@code name} ("gate", "up", "down") as a ggml matrix view on the blob, for the matvec kernels. */
    public static GgmlMatrix view(EncodedExpert e, String name) {
        PartLayout p = e.params().part(name);
        return new GgmlMatrix(name, GgmlType.valueOf(p.format().toUpperCase(Locale.ROOT)), p.rows(), p.cols(), e.part(name));
    }
}
