// The MoE model families Strata reads, keyed by config.json "model_type".
package io.strata.engine.model;

import java.util.Arrays;

public enum Architecture {
    /** Mixtral: block_sparse_moe, experts w1 (gate) / w3 (up) / w2 (down), top-k always renormalised. */
    MIXTRAL("mixtral"),
    /** Qwen3-MoE: per-head RMSNorm on q and k, norm_topk_prob, optional dense mlp_only_layers. */
    QWEN3_MOE("qwen3_moe"),
    /** OLMoE: RMSNorm over the whole q and k projections, optional clip_qkv. */
    OLMOE("olmoe"),
    /** Qwen2-MoE: QKV bias, a shared expert with a sigmoid gate. */
    QWEN2_MOE("qwen2_moe"),
    /** DeepSeek-V2 / V2-Lite: multi-head latent attention, softmax top-k (optionally group-limited), shared experts, dense first layers. */
    DEEPSEEK_V2("deepseek_v2"),
    /** DeepSeek-V3: as V2 with q LoRA, sigmoid scoring + e_score_correction_bias, group-limited top-k, routed_scaling_factor. */
    DEEPSEEK_V3("deepseek_v3"),
    /** GLM-4.5 / 4.5-Air: grouped-query attention with partial RoPE and QKV bias, V3-style routing, shared experts. */
    GLM4_MOE("glm4_moe"),
    /**
     * gpt-oss: attention with biases and per-head sinks, sliding-window attention on alternating layers, YaRN; a biased
     * router with softmax over the top-k logits; experts with biases, interleaved gate/up rows and a clamped SwiGLU,
     * shipped as MXFP4.
     */
    GPT_OSS("gpt_oss");

    public final String modelType;

    Architecture(String modelType) {
        this.modelType = modelType;
    }

    /** Multi-head latent attention (the KV cache holds the compressed latent). */
    public boolean mla() {
        return this == DEEPSEEK_V2 || this == DEEPSEEK_V3;
    }

    /** The DeepSeek-V3 layout of the MoE block: mlp.gate with e_score_correction_bias, mlp.shared_experts. */
    public boolean deepseekMoe() {
        return this == DEEPSEEK_V2 || this == DEEPSEEK_V3 || this == GLM4_MOE;
    }

    public static Architecture fromModelType(String t) {
        for (Architecture a : values()) {
            if (a.modelType.equals(t)) return a;
        }
        throw new IllegalArgumentException("unsupported architecture: config.json model_type '" + t + "' (supported: "
                + Arrays.stream(values()).map(a -> a.modelType).toList() + ")");
    }
}
