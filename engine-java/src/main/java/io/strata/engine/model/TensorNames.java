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

    /** The router weight (experts, hidden): "gate" in every family but gpt-oss ("router", with a bias beside it). */
    public static String router(Architecture a, int l) {
        return moe(a, l) + (a == Architecture.GPT_OSS ? ".router.weight" : ".gate.weight");
    }

    /**
     * Every checkpoint tensor holding routed experts of layer l (what pack writes as expert blobs, not dense weights):
     * one tensor per expert and part, or gpt-oss's stacked tensors (both its dequantized and MXFP4 forms).
     */
    public static java.util.List<String> expertTensors(Architecture a, int l, int experts) {
        if (a == Architecture.GPT_OSS) return GptOssExperts.tensorNames(l, experts);
        java.util.List<String> r = new java.util.ArrayList<>();
        for (int e = 0; e < experts; e++) for (int p = 0; p < 3; p++) r.add(expert(a, l, e, p));
        return r;
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
