// The dense (non-expert) weights of a model, made resident on a backend at load time.
package io.strata.engine.model;

import io.strata.compression.Matrix;
import io.strata.engine.backend.Backend;
import io.strata.engine.backend.Buf;
import io.strata.engine.backend.Weight;
import io.strata.engine.checkpoint.WeightSource;
import io.strata.tiering.ExpertWeights;

/** Attention, norms, routers, shared experts, embeddings; experts come from the ExpertStore. */
public final class ModelWeights {
    /** One decoder layer. */
    public static final class Layer {
        public Buf inputNorm, postNorm;            // (hidden)
        public Weight wq, wk, wv, wo;              // (qDim, hidden), (kvDim, hidden) x2, (hidden, qDim)
        public Buf bq, bk, bv;                     // QKV bias (Qwen2-MoE) or null
        public Buf qNorm, kNorm;                   // Qwen3: (headDim); OLMoE: (qDim) / (kvDim); else null
        public Weight router;                      // (experts, hidden) or null for a dense layer
        public ExpertWeights dense;                // dense MLP (mlp_only_layers) or null
        public ExpertWeights shared;               // shared expert (Qwen2-MoE) or null
        public Weight sharedGate;                  // (1, hidden) or null
        public MlaAttention.LayerWeights mla;      // multi-head latent attention (DeepSeek) instead of wq/wk/wv, or null
        public float[] scoreBias;                  // (experts) router e_score_correction_bias (DeepSeek-V3, GLM-4.5) or null
    }

    public final Weight embed;        // (vocab, hidden)
    public final Weight lmHead;       // (vocab, hidden); the embedding when tied
    public final Buf finalNorm;       // (hidden)
    public final Layer[] layers;

    public ModelWeights(ModelConfig c, WeightSource src, Backend be) {
        Architecture a = c.arch();
        int h = c.hidden(), q = c.qDim(), kv = c.kvDim();
        embed = be.weight(src.matrix(TensorNames.EMBED, c.vocabSize(), h));
        lmHead = c.tieEmbeddings() || !src.has(TensorNames.LM_HEAD) ? embed : be.weight(src.matrix(TensorNames.LM_HEAD, c.vocabSize(), h));
        finalNorm = be.vector(src.vector(TensorNames.FINAL_NORM, h));
        layers = new Layer[c.numLayers()];
        for (int l = 0; l < layers.length; l++) {
            Layer L = new Layer();
            L.inputNorm = be.vector(src.vector(TensorNames.layer(l, "input_layernorm.weight"), h));
            L.postNorm = be.vector(src.vector(TensorNames.layer(l, "post_attention_layernorm.weight"), h));
            if (c.mla() != null) {
                L.mla = MlaAttention.load(c, src, be, l);
                L.wo = be.weight(src.matrix(TensorNames.layer(l, "self_attn.o_proj.weight"), h, c.numHeads() * c.mla().vHeadDim()));
            } else {
                L.wq = be.weight(src.matrix(TensorNames.layer(l, "self_attn.q_proj.weight"), q, h));
                L.wk = be.weight(src.matrix(TensorNames.layer(l, "self_attn.k_proj.weight"), kv, h));
                L.wv = be.weight(src.matrix(TensorNames.layer(l, "self_attn.v_proj.weight"), kv, h));
                L.wo = be.weight(src.matrix(TensorNames.layer(l, "self_attn.o_proj.weight"), h, q));
            }
            if (c.qkvBias()) {
                L.bq = be.vector(src.vector(TensorNames.layer(l, "self_attn.q_proj.bias"), q));
                L.bk = be.vector(src.vector(TensorNames.layer(l, "self_attn.k_proj.bias"), kv));
                L.bv = be.vector(src.vector(TensorNames.layer(l, "self_attn.v_proj.bias"), kv));
            }
            if (a == Architecture.QWEN3_MOE || c.qkNorm()) {
                L.qNorm = be.vector(src.vector(TensorNames.layer(l, "self_attn.q_norm.weight"), c.headDim()));
                L.kNorm = be.vector(src.vector(TensorNames.layer(l, "self_attn.k_norm.weight"), c.headDim()));
            } else if (a == Architecture.OLMOE) {
                L.qNorm = be.vector(src.vector(TensorNames.layer(l, "self_attn.q_norm.weight"), q));
                L.kNorm = be.vector(src.vector(TensorNames.layer(l, "self_attn.k_norm.weight"), kv));
            }
            if (c.moeLayer()[l]) {
                L.router = be.weight(src.matrix(TensorNames.router(a, l), c.numExperts(), h));
                if (c.sharedIntermediate() > 0) {
                    L.shared = ffn(src, TensorNames.shared(a, l), c.sharedIntermediate(), h);
                    if (c.sharedGate()) L.sharedGate = be.weight(src.matrix(TensorNames.moe(a, l) + ".shared_expert_gate.weight", 1, h));
                }
                if (c.router().scoring() == io.strata.engine.moe.RouterSpec.Scoring.SIGMOID) {
                    Matrix bias = src.vector(TensorNames.scoreBias(a, l), c.numExperts());
                    L.scoreBias = new float[c.numExperts()];
                    for (int e = 0; e < L.scoreBias.length; e++) L.scoreBias[e] = bias.get(0, e);
                }
            } else {
                L.dense = ffn(src, TensorNames.layer(l, "mlp"), c.denseIntermediate(), h);
            }
            layers[l] = L;
        }
    }

    private static ExpertWeights ffn(WeightSource src, String prefix, int inter, int hidden) {
        Matrix g = src.matrix(TensorNames.ffn(prefix, 0), inter, hidden);
        Matrix u = src.matrix(TensorNames.ffn(prefix, 1), inter, hidden);
        Matrix d = src.matrix(TensorNames.ffn(prefix, 2), hidden, inter);
        return new ExpertWeights(g, u, d);
    }
}
