// How an expert's bytes are laid out: the one fact a backend needs to pick the kernel that computes it.
package io.strata.tiering;

import io.strata.compression.DType;
import io.strata.compression.codec.CodecParams;
import io.strata.compression.codec.ExpertCodecs;
import io.strata.compression.codec.FloeCodec;
import io.strata.compression.codec.GroupQuantCodec;
import java.util.Locale;

/**
 * Every expert handle names its layout; {@code Backend.supports(layout)} is checked when a model loads, and
 * {@code Backend.expertFfn} dispatches on it. All layouts compute the same SwiGLU expert
 * {@code y = down · (SiLU(gate · x) ⊙ (up · x))}; they differ in how the three matrices are stored.
 */
public sealed interface ExpertLayout {
    /** Short name for messages and statistics: "bf16", "int4", "floe", ... */
    String name();

    /** Three plain float matrices of one dtype: gate (I, H), up (I, H), down (H, I) (checkpoints, the bf16 codec). */
    record Dense(DType dtype) implements ExpertLayout {
        public Dense {
            if (!dtype.isFloat()) throw new IllegalArgumentException("a dense expert layout needs a float dtype, found " + dtype);
        }

        @Override
        public String name() {
            return dtype.name().toLowerCase(Locale.ROOT);
        }
    }

    /** A group-quantized codec blob (int8/int4/int3/int2): parts gate, up, down as {@code QuantizedMatrix} views. */
    record GroupQuant(int bits, int groupSize) implements ExpertLayout {
        @Override
        public String name() {
            return "int" + bits + "-g" + groupSize;
        }
    }

    /**
     * A FloE blob: the up projection resident (INT2, or bf16), gate and down-transposed rows moved into fast memory
     * channel by channel, only for the channels whose {@code |x·W_upᵀ|} exceeds the threshold.
     */
    record Floe(String codec) implements ExpertLayout {
        @Override
        public String name() {
            return codec;
        }
    }

    /** An MXFP4 blob (gpt-oss): gate, up, down as ggml MXFP4 blocks ({@code Mxfp4Codec}), kept so through every tier. */
    record Mxfp4() implements ExpertLayout {
        @Override
        public String name() {
            return "mxfp4";
        }
    }

    /** The layout of a codec blob described by {@code p}; fails naming the codec when no kernel reads it. */
    static ExpertLayout of(CodecParams p) {
        String c = p.codec();
        if (c.startsWith(FloeCodec.NAME)) return new Floe(c);
        if (c.equals("bf16")) return new Dense(DType.BF16);
        if (c.equals("mxfp4")) return new Mxfp4();
        if (ExpertCodecs.byName(c) instanceof GroupQuantCodec g) return new GroupQuant(g.format().bits(), g.format().groupSize());
        throw new IllegalArgumentException("codec '" + c + "' has no expert kernel (expected bf16, int8/int4/int3/int2, mxfp4 or floe)");
    }
}
