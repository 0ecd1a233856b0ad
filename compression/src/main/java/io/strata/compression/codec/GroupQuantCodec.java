// All three expert matrices group-quantized (INT8/INT4/INT3/INT2) with an HQQ-style fit.
package io.strata.compression.codec;

import io.strata.compression.Matrix;
import io.strata.compression.quant.HqqFit;
import io.strata.compression.quant.QuantFormat;
import io.strata.compression.quant.QuantizedMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Layout ({@code A = align4096}; each part laid out as in {@link QuantizedMatrix}):
 * <pre>
 *   gate  intB-gG [I, H]  at 0
 *   up    intB-gG [I, H]  at A(size(gate))
 *   down  intB-gG [H, I]  at A(size(gate)) + A(size(up))
 *   total A(end of down)
 * </pre>
 * Groups run along each row (in_features), so H and I must both be multiples of the group size.
 * Name: {@code "int<B>"} for group 64 (the default), {@code "int<B>-g<G>"} otherwise.
 */
public final class GroupQuantCodec implements ExpertCodec {
    private final QuantFormat format;
    private final HqqFit fit;

    public GroupQuantCodec(QuantFormat format, HqqFit fit) {
        this.format = format;
        this.fit = fit;
    }

    public GroupQuantCodec(QuantFormat format) {
        this(format, HqqFit.DEFAULT);
    }

    public QuantFormat format() {
        return format;
    }

    @Override
    public String name() {
        return format.groupSize() == 64 ? "int" + format.bits() : format.label();
    }

    @Override
    public CodecParams layout(int hidden, int intermediate) {
        return new Parts.Builder().quant("gate", format, intermediate, hidden).quant("up", format, intermediate, hidden)
                .quant("down", format, hidden, intermediate).build(name(), hidden, intermediate, format.groupSize(), null);
    }

    @Override
    public EncodedExpert encode(ExpertWeights w, Arena arena) {
        CodecParams p = layout(w.hidden(), w.intermediate());
        MemorySegment blob = arena.allocate(p.totalBytes(), ExpertCodec.PART_ALIGN);
        EncodedExpert e = new EncodedExpert(p, blob);
        quantizeInto(w.gate(), e.part("gate"));
        quantizeInto(w.up(), e.part("up"));
        quantizeInto(w.down(), e.part("down"));
        return e;
    }

    private void quantizeInto(Matrix m, MemorySegment dst) {
        try (Arena tmp = Arena.ofShared()) { // shared: encoding splits rows across threads
            QuantizedMatrix q = QuantizedMatrix.encode(m, format, fit, tmp);
            MemorySegment.copy(q.data(), 0, dst, 0, q.byteSize());
        }
    }

    @Override
    public ExpertWeights decode(EncodedExpert e, Arena arena) {
        checkLayout(e);
        return new ExpertWeights(Parts.quantView(e, "gate").dequantize(arena), Parts.quantView(e, "up").dequantize(arena),
                Parts.quantView(e, "down").dequantize(arena));
    }

    /** Part {@code name} ("gate", "up", "down") as a quantized view on the blob, for the fused kernels. */
    public static QuantizedMatrix view(EncodedExpert e, String name) {
        return Parts.quantView(e, name);
    }
}
