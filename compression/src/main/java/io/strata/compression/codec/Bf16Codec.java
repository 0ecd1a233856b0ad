// The identity codec: the three matrices as bf16, in checkpoint orientation.
package io.strata.compression.codec;

import io.strata.compression.Matrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Layout ({@code A = align4096}):
 * <pre>
 *   gate  bf16 [I, H]  at 0
 *   up    bf16 [I, H]  at A(2·I·H)
 *   down  bf16 [H, I]  at 2·A(2·I·H)
 *   total A(3 parts)
 * </pre>
 * F32/F16 inputs are rounded to bf16 (round-to-nearest-even); bf16 inputs are copied bit-exact.
 */
public final class Bf16Codec implements ExpertCodec {
    public static final String NAME = "bf16";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public CodecParams layout(int hidden, int intermediate) {
        return new Parts.Builder().bf16("gate", intermediate, hidden).bf16("up", intermediate, hidden).bf16("down", hidden, intermediate)
                .build(NAME, hidden, intermediate, 0, null);
    }

    @Override
    public EncodedExpert encode(ExpertWeights w, Arena arena) {
        CodecParams p = layout(w.hidden(), w.intermediate());
        MemorySegment blob = arena.allocate(p.totalBytes(), ExpertCodec.PART_ALIGN);
        EncodedExpert e = new EncodedExpert(p, blob);
        Parts.writeBf16(w.gate(), e.part("gate"), false);
        Parts.writeBf16(w.up(), e.part("up"), false);
        Parts.writeBf16(w.down(), e.part("down"), false);
        return e;
    }

    @Override
    public ExpertWeights decode(EncodedExpert e, Arena arena) {
        checkLayout(e);
        Matrix gate = Parts.bf16Copy(e, "gate", "gate", false, arena);
        Matrix up = Parts.bf16Copy(e, "up", "up", false, arena);
        Matrix down = Parts.bf16Copy(e, "down", "down", false, arena);
        return new ExpertWeights(gate, up, down);
    }
}
