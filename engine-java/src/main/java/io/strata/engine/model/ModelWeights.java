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
        public Buf bo;                             // gpt-oss: o_proj bias (hidden) or null
        public Buf sinks;                          // gpt-oss: attention sink logit per head (heads) or null
        public Buf routerBias;                     // gpt-oss: (experts) or null
        public Buf gateBias, upBias;               // gpt-oss: expert biases (experts, intermediate), de-interleaved, or null
        public Buf downBias;                       // gpt-oss: (experts, hidden) or null
    }

    public final Weight embed;        // (vocab, hidden)
    public final Weight lmHead;       // (vocab, hidden); the embedding when tied
    public final Buf finalNorm;       // (hidden)
    public final Layer[] layers;

    /** Whether the model reads its embedding as the output head: tied, or no {@code lm_head.weight} in the source. */
    public static boolean embeddingIsHead(ModelConfig c, WeightSource src) {
        return c.tieEmbeddings() || !src.has(TensorNames.LM_HEAD);
    }

    public ModelWeights(ModelConfig c, WeightSource src, Backend be) {
        Architecture a = c.arch();
        int h = c.hidden(), q = c.qDim(), kv = c.kvDim();
        embed = weight(src, be, TensorNames.EMBED, c.vocabSize(), h);
        lmHead = embeddingIsHead(c, src) ? embed : weight(src, be, TensorNames.LM_HEAD, c.vocabSize(), h);
        finalNorm = be.vector(src.vector(TensorNames.FINAL_NORM, h));
        layers = new Layer[c.numLayers()];
        for (int l = 0; l < layers.length; l++) {
            Layer L = new Layer();
            L.inputNorm = be.vector(src.vector(TensorNames.layer(l, "input_layernorm.weight"), h));
            L.postNorm = be.vector(src.vector(TensorNames.layer(l, "post_attention_layernorm.weight"), h));
            if (c.mla() != null) {
                L.mla = MlaAttention.load(c, src, be, l);
                L.wo = weight(src, be, TensorNames.layer(l, "self_attn.o_proj.weight"), h, c.numHeads() * c.mla().vHeadDim());
            } else {
                L.wq = weight(src, be, TensorNames.layer(l, "self_attn.q_proj.weight"), q, h);
                L.wk = weight(src, be, TensorNames.layer(l, "self_attn.k_proj.weight"), kv, h);
                L.wv = weight(src, be, TensorNames.layer(l, "self_attn.v_proj.weight"), kv, h);
                L.wo = weight(src, be, TensorNames.layer(l, "self_attn.o_proj.weight"), h, q);
            }
            if (c.qkvBias()) {
                L.bq = be.vector(src.vector(TensorNames.layer(l, "self_attn.q_proj.bias"), q));
                L.bk = be.vector(src.vector(TensorNames.layer(l, "self_attn.k_proj.bias"), kv));
                L.bv = be.vector(src.vector(TensorNames.layer(l, "self_attn.v_proj.bias"), kv));
            }
            if (a == Architecture.GPT_OSS) {
                if (c.qkvBias()) L.bo = be.vector(src.vector(TensorNames.layer(l, "self_attn.o_proj.bias"), h));
                L.sinks = be.vector(src.vector(TensorNames.layer(l, "self_attn.sinks"), c.numHeads()));
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
                if (a == Architecture.GPT_OSS) expertBiases(c, src, be, l, L);
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

    /** A 2-D weight on the backend: from its quantized codes when the source holds it quantized, else from its floats. */
    private static Weight weight(WeightSource src, Backend be, String name, int rows, int cols) {
        io.strata.compression.quant.QuantizedMatrix q = src.quantized(name, rows, cols);
        return q != null ? be.weight(q) : be.weight(src.matrix(name, rows, cols));
    }

    /** gpt-oss: router bias and the expert biases, gate_up_proj_bias (E, 2I) split into its interleaved gate and up. */
    private static void expertBiases(ModelConfig c, WeightSource src, Backend be, int l, Layer L) {
        int E = c.numExperts(), I = c.expertIntermediate(), h = c.hidden();
        L.routerBias = be.vector(src.vector(TensorNames.moe(c.arch(), l) + ".router.bias", E));
        float[] g = new float[E * I], u = new float[E * I];
        String p = GptOssExperts.prefix(l);
        if (src.has(p + "gate_up_proj_bias")) {
            Matrix gu = src.matrix(p + "gate_up_proj_bias", E, 2 * I);
            for (int e = 0; e < E; e++) {
                for (int j = 0; j < I; j++) {
                    g[e * I + j] = gu.get(e, 2 * j);
                    u[e * I + j] = gu.get(e, 2 * j + 1);
                }
            }
        } else { // apart, as a GGUF file holds them (ffn_gate_exps.bias, ffn_up_exps.bias)
            Matrix gm = src.matrix(p + "gate_proj_bias", E, I), um = src.matrix(p + "up_proj_bias", E, I);
            for (int e = 0; e < E; e++) {
                for (int j = 0; j < I; j++) {
                    g[e * I + j] = gm.get(e, j);
                    u[e * I + j] = um.get(e, j);
                }
            }
        }
        L.gateBias = be.alloc(E * I);
        be.write(L.gateBias, g, 0, E * I);
        L.upBias = be.alloc(E * I);
        be.write(L.upBias, u, 0, E * I);
        Matrix d = src.matrix(GptOssExperts.prefix(l) + "down_proj_bias", E, h);
        L.downBias = be.vector(new Matrix(d.name(), d.data(), d.dtype(), 1, E * h));
    }

    private static ExpertWeights ffn(WeightSource src, String prefix, int inter, int hidden) {
        Matrix g = src.matrix(TensorNames.ffn(prefix, 0), inter, hidden);
        Matrix u = src.matrix(TensorNames.ffn(prefix, 1), inter, hidden);
        Matrix d = src.matrix(TensorNames.ffn(prefix, 2), hidden, inter);
        return new ExpertWeights(g, u, d);
    }
}
