// The FloE expert layout: resident INT2 up projection, bf16 gate rows and transposed bf16 down rows.
package io.strata.compression.codec;

import io.strata.compression.Matrix;
import io.strata.compression.quant.HqqFit;
import io.strata.compression.quant.QuantFormat;
import io.strata.compression.quant.QuantizedMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * FloE: {@code v = x·W_upᵀ; mask = |v| > t; h = SiLU(x·W_gate[mask]ᵀ) ⊙ v[mask]; y = Σ_{i∈mask} h_i·W_downT[i,:]}.
 * The up projection is small (INT2, HQQ, group 64: 2.5 bits per weight) and stays resident in
 * the fast tier; gate and down stay bf16 and only the rows of active channels move.
 *
 * <h2>Blob layout ({@code A = align4096}, little endian)</h2>
 * <pre>
 *   part   format      shape    offset                     bytes
 *   up     int2-g64    [I, H]   0                          QuantizedMatrix.byteSize(int2-g64, I, H)
 *   gate   bf16        [I, H]   U = A(bytes(up))           2·I·H;  row i at U + i·2H
 *   downT  bf16        [I, H]   D = U + A(2·I·H)           2·I·H;  row i at D + i·2H  (= column i of down [H, I])
 *   total  D + A(2·I·H)
 * </pre>
 * The resident part is one prefix {@code [0, U)}; channel {@code i} needs exactly two contiguous
 * reads of {@code 2H} bytes, at {@code U + 2H·i} and {@code D + 2H·i}. Both part offsets are page
 * aligned, so for H a multiple of 2048 every row is a whole number of 4 KiB pages.
 * Inside {@code up}: codes {@code [I, H/4]}, then f16 scales {@code [I, H/64]} at align64, then
 * f16 zeros {@code [I, H/64]} (see {@link QuantizedMatrix}). The per-layer threshold {@code t}
 * is carried in {@link CodecParams#threshold()}.
 *
 * <p>{@code upFormat == null} keeps up as bf16 too (codec name "floe-bf16up"): the exact variant
 * used to check the sparse forward against the dense expert.
 */
public final class FloeCodec implements ExpertCodec {
    public static final String NAME = "floe";
    public static final QuantFormat UP_FORMAT = QuantFormat.INT2_G64;

    private final QuantFormat upFormat; // null: bf16 up
    private final HqqFit fit;
    private final float threshold;      // default t for encoded experts, |v| units

    public FloeCodec(QuantFormat upFormat, HqqFit fit, float threshold) {
        this.upFormat = upFormat;
        this.fit = fit;
        this.threshold = threshold;
    }

    /** INT2 group-64 up with HQQ, threshold 0 until calibrated. */
    public FloeCodec() {
        this(UP_FORMAT, HqqFit.DEFAULT, 0f);
    }

    @Override
    public String name() {
        if (upFormat == null) return NAME + "-bf16up";
        return upFormat.equals(UP_FORMAT) ? NAME : NAME + "-" + upFormat.label();
    }

    @Override
    public CodecParams layout(int hidden, int intermediate) {
        Parts.Builder b = new Parts.Builder();
        if (upFormat == null) b.bf16("up", intermediate, hidden);
        else b.quant("up", upFormat, intermediate, hidden);
        return b.bf16("gate", intermediate, hidden).bf16("downT", intermediate, hidden)
                .build(name(), hidden, intermediate, upFormat == null ? 0 : upFormat.groupSize(), threshold);
    }

    @Override
    public EncodedExpert encode(ExpertWeights w, Arena arena) {
        CodecParams p = layout(w.hidden(), w.intermediate());
        MemorySegment blob = arena.allocate(p.totalBytes(), ExpertCodec.PART_ALIGN);
        EncodedExpert e = new EncodedExpert(p, blob);
        if (upFormat == null) {
            Parts.writeBf16(w.up(), e.part("up"), false);
        } else {
            try (Arena tmp = Arena.ofShared()) { // shared: encoding splits rows across threads
                QuantizedMatrix q = QuantizedMatrix.encode(w.up(), upFormat, fit, tmp);
                MemorySegment.copy(q.data(), 0, e.part("up"), 0, q.byteSize());
            }
        }
        Parts.writeBf16(w.gate(), e.part("gate"), false);
        Parts.writeBf16(w.down(), e.part("downT"), true); // [H, I] → [I, H]: channel i becomes row i
        return e;
    }

    @Override
    public void checkLayout(EncodedExpert e) {
        // the threshold is calibrated per layer after packing, so compare the layout without it
        ExpertCodec.super.checkLayout(new EncodedExpert(e.params().withThreshold(threshold), e.blob()));
    }

    @Override
    public ExpertWeights decode(EncodedExpert e, Arena arena) {
        checkLayout(e);
        Matrix up = upFormat == null ? Parts.bf16Copy(e, "up", "up", false, arena) : Parts.quantView(e, "up").dequantize(arena);
        return new ExpertWeights(Parts.bf16Copy(e, "gate", "gate", false, arena), up, Parts.bf16Copy(e, "downT", "down", true, arena));
    }

    /** The quantized up part as a view on the blob; fails if this expert keeps up in bf16. */
    public static QuantizedMatrix upView(EncodedExpert e) {
        return Parts.quantView(e, "up");
    }

    /** A bf16 part ("up" of floe-bf16up, "gate", "downT") as a {@code [I, H]} view on the blob. */
    public static Matrix bf16View(EncodedExpert e, String part) {
        return Parts.bf16View(e, part);
    }
}
