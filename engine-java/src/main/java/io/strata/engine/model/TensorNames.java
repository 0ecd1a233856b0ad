// Checkpoint tensor names per architecture (the names publishers use, so code maps onto the reference).
package io.strata.engine.model;

public final class TensorNames {
    private TensorNames() {}

    public static final String EMBED = "model.embed_tokens.weight";
    public static final String FINAL_NORM = "model.norm.weight";
    public static final String LM_HEAD = "lm_head.weight";

    public static String layer(int l, String suffix) {
        return "model.layers." + l + "." + suffix;
    }

    /** The MoE block prefix: Mixtral "block_sparse_moe", the others "mlp". */
    public static String moe(Architecture a, int l) {
        return layer(l, a == Architecture.MIXTRAL ? "block_sparse_moe" : "mlp");
    }

    public static String router(Architecture a, int l) {
        return moe(a, l) + ".gate.weight";
    }

    /** The shared expert's FFN prefix: Qwen2-MoE "mlp.shared_expert", DeepSeek/GLM "mlp.shared_experts". */
    public static String shared(Architecture a, int l) {
        return moe(a, l) + (a.deepseekMoe() ? ".shared_experts" : ".shared_expert");
    }

    /** The router's e_score_correction_bias (experts) of DeepSeek-V3 / GLM-4.5. */
    public static String scoreBias(Architecture a, int l) {
        return moe(a, l) + ".gate.e_score_correction_bias";
    }

    /** Self-attention tensor of layer l ("q_proj.weight", "kv_a_proj_with_mqa.weight", ...). */
    public static String attn(int l, String suffix) {
        return layer(l, "self_attn." + suffix);
    }

    /** part: 0 = gate (Mixtral w1), 1 = up (w3), 2 = down (w2). */
    public static String expert(Architecture a, int l, int e, int part) {
        String p = moe(a, l) + ".experts." + e + ".";
        if (a == Architecture.MIXTRAL) return p + (part == 0 ? "w1" : part == 1 ? "w3" : "w2") + ".weight";
        return p + (part == 0 ? "gate_proj" : part == 1 ? "up_proj" : "down_proj") + ".weight";
    }

    /** Dense FFN of prefix ("model.layers.3.mlp" or "...mlp.shared_expert"), part as in {@link #expert}. */
    public static String ffn(String prefix, int part) {
        return prefix + "." + (part == 0 ? "gate_proj" : part == 1 ? "up_proj" : "down_proj") + ".weight";
    }
}
