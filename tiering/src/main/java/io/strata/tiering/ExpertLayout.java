// How an expert's bytes are laid out: the one fact a backend needs to pick the kernel that computes it.
package io.strata.tiering;

import io.strata.compression.DType;
import io.strata.compression.codec.CodecParams;
import io.strata.compression.codec.ExpertCodecs;
import io.strata.compression.codec.FloeCodec;
import io.strata.compression.codec.Fp8Codec;
import io.strata.compression.codec.GgmlCodec;
import io.strata.compression.codec.GroupQuantCodec;
import io.strata.compression.ggml.GgmlType;
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

    /**
     * A blob of ggml blocks as a GGUF file stores them (codec {@code gguf-*}): gate, up, down each of one ggml block
     * type, which may differ (Q4_K gate/up with a Q6_K down in Q4_K_M files). Any type with a matvec kernel fits here.
     */
    record Ggml(GgmlType gate, GgmlType up, GgmlType down) implements ExpertLayout {
        @Override
        public String name() {
            return new GgmlCodec(gate, up, down).name();
        }
    }

    /** Block-scaled FP8 (codec {@code fp8}): E4M3 codes with one F32 scale per blockRows × blockCols block. */
    record Fp8(int blockRows, int blockCols) implements ExpertLayout {
        @Override
        public String name() {
            return new Fp8Codec(blockRows, blockCols).name();
        }
    }

    /** The layout of a codec blob described by {@code p}; fails naming the codec when no kernel reads it. */
    static ExpertLayout of(CodecParams p) {
        String c = p.codec();
        if (c.startsWith(FloeCodec.NAME)) return new Floe(c);
        if (c.equals("bf16")) return new Dense(DType.BF16);
        if (c.equals("mxfp4")) return new Mxfp4();
        return switch (ExpertCodecs.byName(c)) {
            case GroupQuantCodec g -> new GroupQuant(g.format().bits(), g.format().groupSize());
            case GgmlCodec g -> new Ggml(g.gate(), g.up(), g.down());
            case Fp8Codec f -> new Fp8(f.blockRows(), f.blockCols());
            default -> throw new IllegalArgumentException("codec '" + c + "' has no expert kernel (expected bf16, int8/int4/int3/int2, floe, "
                    + "mxfp4, fp8 or gguf-<type>)");
        };
    }
}
