// Which dense (non-expert) weights a store may hold group-quantized, and in which format (`strata pack --dense`).
package io.strata.engine.store;

import io.strata.compression.quant.QuantFormat;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.TensorNames;

/**
 * The dense weights that every token streams besides its experts: the attention projections and the output head
 * (with the embedding, read one row per token, so quantized for size). On the OLMoE-shaped model they are 340 of the
 * 445 MB an int4 store reads per token. Quantizing them is what llama.cpp's Q4_0 and Q8_0 files do. Kept as floats:
 * <ul>
 *   <li>routers and gates (small, and their ranking decides which experts run);</li>
 *   <li>norms and biases (1-D);</li>
 *   <li>multi-head latent attention's projections, which are split per head at load time (o_proj is quantized);</li>
 *   <li>dense MLPs and shared experts, which the expert kernels compute from floats;</li>
 *   <li>a matrix whose columns are not a multiple of the group size.</li>
 * </ul>
 */
public final class DenseQuantization {
    private DenseQuantization() {}

    /**
     * Parses {@code --dense}: null for "keep" (the source's floats), else int8 or int4 with group 64, or
     * {@code int<B>-g<G>} with B 8 or 4 and G 32, 64 or 128.
     */
    public static QuantFormat parse(String s) {
        return parse(s, "--dense");
    }

    /** As {@link #parse(String)}, naming {@code option} in its errors. */
    public static QuantFormat parse(String s, String option) {
        if (s == null || s.equals("keep")) return null;
        QuantFormat f;
        try {
            f = s.contains("-g") ? QuantFormat.parse(s) : QuantFormat.parse(s + "-g64");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " must be keep, int8, int4 or int<8|4>-g<32|64|128>, found '" + s + "'");
        }
        if (f.bits() != 8 && f.bits() != 4) {
            throw new IllegalArgumentException(option + ": dense weights are quantized to 8 or 4 bits, found " + f.label());
        }
        return f;
    }

    /**
     * The output head's format for {@code --dense} {@code dense} when {@code --dense-head} is not given: int8 (same group)
     * under int4, as llama.cpp keeps its Q4_0 files' output tensor at 6 bits: the head's errors land on every logit.
     */
    public static QuantFormat defaultHead(QuantFormat dense) {
        return dense != null && dense.bits() == 4 ? new QuantFormat(8, dense.groupSize()) : dense;
    }

    /**
     * The format a --dense pack stores {@code name} in (a 2-D weight of {@code shape}), or null where it stays float.
     * {@code head} applies to the output head, and to the embedding when the embedding serves as the head
     * ({@code embedIsHead}: tied, or a checkpoint without {@code lm_head.weight}, which the model then reads the
     * embedding for).
     */
    public static QuantFormat formatFor(ModelConfig c, String name, long[] shape, QuantFormat dense, QuantFormat head,
                                        boolean embedIsHead) {
        QuantFormat f = null;
        if (dense == null || shape.length != 2) return null;
        if (name.equals(TensorNames.EMBED)) f = embedIsHead ? head : dense;
        else if (name.equals(TensorNames.LM_HEAD)) f = c.tieEmbeddings() ? null : head;
        else if (attentionProjection(c, name)) f = dense;
        return f != null && shape[1] % f.groupSize() == 0 ? f : null;
    }

    private static boolean attentionProjection(ModelConfig c, String name) {
        for (int l = 0; l < c.numLayers(); l++) {
            if (!name.startsWith(TensorNames.layer(l, "self_attn."))) continue;
            if (name.equals(TensorNames.attn(l, "o_proj.weight"))) return true;
            if (c.mla() != null) return false;
            for (String p : new String[] {"q_proj", "k_proj", "v_proj"}) {
                if (name.equals(TensorNames.attn(l, p + ".weight"))) return true;
            }
            return false;
        }
        return false;
    }
}
