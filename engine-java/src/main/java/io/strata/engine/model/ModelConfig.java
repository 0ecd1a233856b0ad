// The hyper-parameters of a model, read from a Hugging Face config.json.
package io.strata.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.engine.checkpoint.CheckpointException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * @param expertIntermediate  rows of one routed expert's gate/up (Mixtral intermediate_size, others moe_intermediate_size)
 * @param denseIntermediate   rows of a dense MLP layer's gate/up (Qwen mlp_only_layers), 0 if none
 * @param sharedIntermediate  rows of the shared expert (Qwen2-MoE), 0 if none
 * @param moeLayer            per layer: true for a sparse MoE block, false for a dense MLP
 * @param clipQkv             OLMoE clip_qkv bound, NaN when absent
 * @param headDim             per-head query/key dimensions (MLA: qk_nope_head_dim + qk_rope_head_dim)
 * @param mla                 the latent attention shape (DeepSeek-V2/V3), null for standard attention
 * @param router              how router logits become experts and weights
 * @param rope                the rotary frequencies and attention factor (default RoPE, or YaRN) over the rotated dims
 * @param rotary              how the backend applies them: partial rotary, DeepSeek's YaRN softmax scale
 * @param sharedGate          the shared expert has a sigmoid gate (Qwen2-MoE); DeepSeek/GLM add theirs with weight 1
 * @param slidingWindow       keys a sliding-window layer attends to (the query's own position included), 0 if none
 * @param slidingLayer        per layer: true where attention is limited to the last slidingWindow positions
 *                            (gpt-oss layer_types "sliding_attention")
 * @param swigluLimit         gpt-oss: the clamp of its SwiGLU (swiglu_limit, 7), NaN for the plain SwiGLU
 */
public record ModelConfig(Architecture arch, int vocabSize, int hidden, int numLayers, int numHeads, int numKvHeads,
                          int headDim, int numExperts, int topK, boolean normTopK, int expertIntermediate,
                          int denseIntermediate, int sharedIntermediate, float ropeTheta, float rmsEps,
                          boolean tieEmbeddings, float clipQkv, boolean qkvBias, int maxPositions,
                          boolean[] moeLayer, int bosId, int[] eosIds, RopeScaling rope, int slidingWindow,
                          boolean[] slidingLayer, float swigluLimit, Mla mla, io.strata.engine.moe.RouterSpec router,
                          RopeConfig rotary, boolean sharedGate, boolean qkNorm) {
    /** gpt-oss: the sigmoid slope of its SwiGLU, {@code glu = g·σ(alpha·g)} (a constant of the architecture). */
    public static final float GPT_OSS_SWIGLU_ALPHA = 1.702f;

    /**
     * Multi-head latent attention (DeepSeek-V2/V3): queries from q_proj, or through the rank-qLoraRank bottleneck
     * q_a_proj → RMSNorm → q_b_proj when qLoraRank > 0; keys and values from one latent of kvLoraRank dimensions
     * per position plus a shared rotary key of qkRopeHeadDim, whose dimensions come in interleaved pairs when
     * ropeInterleaved (DeepSeek-V2 always; V3's rope_interleave, true by default).
     */
    public record Mla(int qLoraRank, int kvLoraRank, int qkNopeHeadDim, int qkRopeHeadDim, int vHeadDim, boolean ropeInterleaved) {
        public int qkHeadDim() {
            return qkNopeHeadDim + qkRopeHeadDim;
        }
    }

    public static ModelConfig parse(JsonNode c, Path where) {
        return parse(c, where == null ? "config.json" : where.resolve("config.json").toString());
    }

    /** As {@link #parse(JsonNode, Path)}, with src naming where the config came from in every error. */
    public static ModelConfig parse(JsonNode c, String src) {
        try {
            Architecture arch = Architecture.fromModelType(c.path("model_type").asText(""));
            checkArchitectures(c, arch, src);
            int hidden = req(c, "hidden_size", src);
            int layers = req(c, "num_hidden_layers", src);
            int heads = req(c, "num_attention_heads", src);
            int kv = c.path("num_key_value_heads").asInt(heads);
            positive(src, "hidden_size", hidden, MAX_DIM);
            positive(src, "num_hidden_layers", layers, MAX_LAYERS); // sizes the per-layer tables below
            positive(src, "num_attention_heads", heads, MAX_DIM);
            positive(src, "num_key_value_heads", kv, MAX_DIM);
            Mla mla = arch.mla() ? mla(c, arch, src) : null;
            // MLA configs carry head_dim = qk_rope_head_dim (transformers writes it); the query head is nope + rope.
            int headDim = mla != null ? mla.qkHeadDim() : c.hasNonNull("head_dim") ? c.get("head_dim").asInt() : hidden / heads;
            positive(src, "head_dim", headDim, MAX_DIM);
            if (heads % kv != 0) {
                throw new CheckpointException(src + ": num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kv);
            }
            int experts, expertInter, denseInter = 0, sharedInter = 0, window = 0;
            boolean norm;
            boolean[] sliding = new boolean[layers];
            float limit = Float.NaN;
            boolean[] moe = new boolean[layers];
            switch (arch) {
                case MIXTRAL -> {
                    experts = req(c, "num_local_experts", src);
                    expertInter = req(c, "intermediate_size", src);
                    norm = true;
                    java.util.Arrays.fill(moe, true);
                }
                case OLMOE -> {
                    experts = c.has("num_experts") ? req(c, "num_experts", src) : req(c, "num_local_experts", src);
                    expertInter = req(c, "intermediate_size", src);
                    norm = c.path("norm_topk_prob").asBoolean(false);
                    java.util.Arrays.fill(moe, true);
                }
                case DEEPSEEK_V2, DEEPSEEK_V3, GLM4_MOE -> {
                    experts = req(c, "n_routed_experts", src);
                    expertInter = req(c, "moe_intermediate_size", src);
                    denseInter = req(c, "intermediate_size", src);
                    norm = c.path("norm_topk_prob").asBoolean(arch != Architecture.DEEPSEEK_V2);
                    int firstDense = c.path("first_k_dense_replace").asInt(0);
                    int freq = c.path("moe_layer_freq").asInt(1);
                    if (firstDense < 0 || firstDense > layers || freq < 1) {
                        throw new CheckpointException(src + ": expected 'first_k_dense_replace' in [0, num_hidden_layers " + layers
                                + "] and 'moe_layer_freq' >= 1, found " + firstDense + " and " + freq);
                    }
                    for (int i = 0; i < layers; i++) moe[i] = experts > 0 && i >= firstDense && i % freq == 0;
                    int nShared = c.path("n_shared_experts").asInt(0);
                    if (nShared < 0) throw new CheckpointException(src + ": expected 'n_shared_experts' >= 0, found " + nShared);
                    sharedInter = expertInter * nShared;
                }
                case GPT_OSS -> {
                    experts = req(c, "num_local_experts", src);
                    expertInter = req(c, "intermediate_size", src);
                    norm = true; // softmax over the top-k logits: the k weights sum to 1
                    java.util.Arrays.fill(moe, true);
                    limit = (float) c.path("swiglu_limit").asDouble(7.0);
                    if (!(limit > 0)) throw new CheckpointException(src + ": expected swiglu_limit > 0, found " + c.get("swiglu_limit"));
                    JsonNode types = c.path("layer_types");
                    if (types.isMissingNode() || types.isNull()) { // transformers' default: even layers slide
                        for (int i = 0; i < layers; i++) sliding[i] = i % 2 == 0;
                    } else {
                        if (!types.isArray() || types.size() != layers) {
                            throw new CheckpointException(src + ": expected layer_types to list " + layers + " entries (num_hidden_layers), found " + types);
                        }
                        for (int i = 0; i < layers; i++) {
                            String t = types.get(i).asText();
                            if (!t.equals("sliding_attention") && !t.equals("full_attention")) {
                                throw new CheckpointException(src + ": layer_types[" + i + "] is '" + t + "', expected sliding_attention or full_attention");
                            }
                            sliding[i] = t.equals("sliding_attention");
                        }
                    }
                    boolean anySliding = false;
                    for (boolean b : sliding) anySliding |= b;
                    if (anySliding) {
                        window = req(c, "sliding_window", src);
                        positive(src, "sliding_window", window, Integer.MAX_VALUE);
                    }
                }
                default -> { // QWEN3_MOE, QWEN2_MOE (newer writers name it num_local_experts)
                    experts = c.has("num_experts") ? req(c, "num_experts", src) : req(c, "num_local_experts", src);
                    expertInter = req(c, "moe_intermediate_size", src);
                    denseInter = c.path("intermediate_size").asInt(0);
                    norm = c.path("norm_topk_prob").asBoolean(false);
                    int step = c.path("decoder_sparse_step").asInt(1);
                    List<Integer> mlpOnly = new ArrayList<>();
                    c.path("mlp_only_layers").forEach(n -> mlpOnly.add(n.asInt()));
                    for (int i = 0; i < layers; i++) {
                        moe[i] = !mlpOnly.contains(i) && experts > 0 && step > 0 && (i + 1) % step == 0;
                    }
                    if (arch == Architecture.QWEN2_MOE) sharedInter = c.path("shared_expert_intermediate_size").asInt(0);
                }
            }
            float theta = (float) (c.has("rope_theta") ? c.get("rope_theta").asDouble()
                    : c.path("rope_parameters").path("rope_theta").asDouble(10000.0));
            int rotDim = mla != null ? mla.qkRopeHeadDim() : RopeConfig.rotaryDim(c, headDim, src);
            RopeScaling rope = RopeScaling.parse(c, rotDim, src);
            RopeConfig rotary = RopeConfig.of(c, rope, headDim, arch.mla());
            if (!rotary.plain() && !arch.deepseekMoe() && arch != Architecture.QWEN3_MOE && arch != Architecture.GPT_OSS) {
                throw new CheckpointException(src + ": rope type '" + rope.type() + "' with partial rotary is not supported for "
                        + arch.modelType + " (only the default RoPE)");
            }
            float clip = c.hasNonNull("clip_qkv") ? (float) c.get("clip_qkv").asDouble() : Float.NaN;
            boolean qkvBias = arch == Architecture.QWEN2_MOE ? c.path("qkv_bias").asBoolean(true)
                    : c.path("attention_bias").asBoolean(arch == Architecture.GPT_OSS);
            if (arch.mla() && qkvBias) {
                throw new CheckpointException(src + ": attention_bias true is not supported for " + arch.modelType
                        + " (multi-head latent attention without biases expected)");
            }
            int topK = req(c, "num_experts_per_tok", src);
            if (experts > 0 && (topK < 1 || topK > experts)) {
                throw new CheckpointException(src + ": num_experts_per_tok " + topK + " must be between 1 and the number of experts ("
                        + (arch.deepseekMoe() ? "n_routed_experts " : c.has("num_experts") && arch != Architecture.MIXTRAL ? "num_experts "
                        : "num_local_experts ") + experts + ")");
            }
            io.strata.engine.moe.RouterSpec router = arch.deepseekMoe() ? router(c, arch, experts, topK, norm, src)
                    : io.strata.engine.moe.RouterSpec.softmax(norm);
            boolean qkNorm = arch == Architecture.GLM4_MOE && c.path("use_qk_norm").asBoolean(false);
            int bos = c.path("bos_token_id").asInt(-1);
            int[] eos = ints(c.path("eos_token_id"));
            if (experts < 0 || expertInter < 0 || denseInter < 0 || sharedInter < 0) {
                throw new CheckpointException(src + ": expected expert count and intermediate sizes >= 0, found experts "
                        + experts + ", intermediate " + expertInter + ", dense " + denseInter + ", shared " + sharedInter);
            }
            int vocab = req(c, "vocab_size", src);
            positive(src, "vocab_size", vocab, Integer.MAX_VALUE);
            return new ModelConfig(arch, vocab, hidden, layers, heads, kv, headDim, experts,
                    topK, norm, expertInter, denseInter, sharedInter, theta,
                    (float) c.path("rms_norm_eps").asDouble(1e-6), c.path("tie_word_embeddings").asBoolean(false),
                    clip, qkvBias, c.path("max_position_embeddings").asInt(4096), moe, bos, eos, rope, window, sliding, limit,
                    mla, router, rotary, arch == Architecture.QWEN2_MOE, qkNorm);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(src + ": " + e.getMessage(), e);
        }
    }

    /** The MLA shape of a DeepSeek config; q_lora_rank null or absent means q_proj without the bottleneck. */
    private static Mla mla(JsonNode c, Architecture arch, String src) {
        int kvRank = req(c, "kv_lora_rank", src);
        positive(src, "kv_lora_rank", kvRank, MAX_DIM);
        int qRank = 0;
        if (c.hasNonNull("q_lora_rank")) {
            qRank = req(c, "q_lora_rank", src);
            positive(src, "q_lora_rank", qRank, MAX_DIM);
        }
        int nope = req(c, "qk_nope_head_dim", src), rope = req(c, "qk_rope_head_dim", src), v = req(c, "v_head_dim", src);
        positive(src, "qk_nope_head_dim", nope, MAX_DIM);
        positive(src, "qk_rope_head_dim", rope, MAX_DIM);
        positive(src, "v_head_dim", v, MAX_DIM);
        if (rope % 2 != 0) throw new CheckpointException(src + ": expected an even 'qk_rope_head_dim', found " + rope);
        return new Mla(qRank, kvRank, nope, rope, v, arch == Architecture.DEEPSEEK_V2 || c.path("rope_interleave").asBoolean(true));
    }

    /** DeepSeek-V2 (softmax, greedy or group_limited_greedy) and V3/GLM-4.5 (sigmoid, noaux_tc) routing. */
    private static io.strata.engine.moe.RouterSpec router(JsonNode c, Architecture arch, int experts, int topK, boolean norm, String src) {
        boolean v2 = arch == Architecture.DEEPSEEK_V2;
        String scoring = c.path("scoring_func").asText(v2 ? "softmax" : "sigmoid");
        String method = c.path("topk_method").asText(v2 ? "greedy" : "noaux_tc");
        var sc = switch (scoring) {
            case "softmax" -> io.strata.engine.moe.RouterSpec.Scoring.SOFTMAX;
            case "sigmoid" -> io.strata.engine.moe.RouterSpec.Scoring.SIGMOID;
            default -> throw new CheckpointException(src + ": 'scoring_func' '" + scoring + "' is not supported (softmax or sigmoid)");
        };
        if (!method.equals("greedy") && !method.equals("group_limited_greedy") && !method.equals("noaux_tc")) {
            throw new CheckpointException(src + ": 'topk_method' '" + method + "' is not supported (greedy, group_limited_greedy or noaux_tc)");
        }
        if (method.equals("noaux_tc") && sc != io.strata.engine.moe.RouterSpec.Scoring.SIGMOID) {
            throw new CheckpointException(src + ": 'topk_method' noaux_tc needs 'scoring_func' sigmoid, found " + scoring);
        }
        int groups = 1, topkGroup = 1;
        if (!method.equals("greedy")) {
            groups = c.hasNonNull("n_group") ? req(c, "n_group", src) : 1;
            topkGroup = c.hasNonNull("topk_group") ? req(c, "topk_group", src) : groups;
            if (groups < 1 || experts % groups != 0) {
                throw new CheckpointException(src + ": 'n_group' " + groups + " must be >= 1 and divide n_routed_experts " + experts);
            }
            if (topkGroup < 1 || topkGroup > groups) {
                throw new CheckpointException(src + ": 'topk_group' " + topkGroup + " must be between 1 and n_group " + groups);
            }
            if (topK > topkGroup * (experts / groups)) {
                throw new CheckpointException(src + ": num_experts_per_tok " + topK + " exceeds the experts of topk_group "
                        + topkGroup + " groups of " + experts / groups);
            }
        }
        float scale = (float) c.path("routed_scaling_factor").asDouble(1.0);
        if (!(scale > 0) || Float.isInfinite(scale)) {
            throw new CheckpointException(src + ": expected a positive finite 'routed_scaling_factor', found " + scale);
        }
        return new io.strata.engine.moe.RouterSpec(sc, groups, topkGroup, method.equals("noaux_tc"), norm, scale);
    }

    /** Bytes of KV cache one position takes over all layers, in f32: MLA stores kv_lora_rank + qk_rope_head_dim per layer. */
    public long kvBytesPerPosition() {
        return mla != null ? (long) numLayers * (mla.kvLoraRank() + mla.qkRopeHeadDim()) * Float.BYTES
                : 2L * numLayers * kvDim() * Float.BYTES;
    }

    /**
     * config.json names the model twice: {@code model_type} and the transformers class in
     * {@code architectures}. They must agree (a "mixtral" config claiming LlamaForCausalLM is not a
     * Mixtral checkpoint); the class of model_type "a_b2" is "AB2ForCausalLM", as transformers names
     * them. An absent or empty list is accepted (older writers omit it).
     */
    static void checkArchitectures(JsonNode c, Architecture arch, String src) {
        JsonNode list = c.path("architectures");
        if (list.isMissingNode() || list.isNull()) return;
        String expected = causalLmClass(arch.modelType);
        if (!list.isArray()) {
            throw new CheckpointException(src + ": 'architectures' must be a list of class names (expected [\"" + expected + "\"])");
        }
        for (JsonNode n : list) {
            if (!n.isTextual() || !n.asText().equalsIgnoreCase(expected)) {
                throw new CheckpointException(src + ": architectures " + list + " does not match model_type '" + arch.modelType
                        + "' (expected [\"" + expected + "\"]); the checkpoint would be run as the wrong model");
            }
        }
    }

    /** "qwen3_moe" -> "Qwen3MoeForCausalLM". */
    public static String causalLmClass(String modelType) {
        StringBuilder b = new StringBuilder();
        for (String part : modelType.split("_")) {
            if (!part.isEmpty()) b.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
        }
        return b.append("ForCausalLM").toString();
    }

    /** Largest layer count and dimension a config may declare: far above real models, a guard on table sizes. */
    private static final int MAX_LAYERS = 1 << 16, MAX_DIM = 1 << 20;

    private static void positive(String src, String key, int v, int max) {
        if (v < 1 || v > max) {
            throw new CheckpointException(src + ": expected '" + key + "' in [1, " + max + "], found " + v);
        }
    }

    private static int[] ints(JsonNode n) {
        if (n.isArray()) {
            int[] r = new int[n.size()];
            for (int i = 0; i < r.length; i++) r[i] = n.get(i).asInt();
            return r;
        }
        return n.isNumber() ? new int[] {n.asInt()} : new int[0];
    }

    private static int req(JsonNode c, String key, String src) {
        JsonNode v = c.get(key);
        if (v == null || !v.canConvertToInt()) {
            throw new CheckpointException(src + ": missing or non-integer '" + key + "'");
        }
        return v.asInt();
    }

    public int qDim() {
        return numHeads * headDim;
    }

    public int kvDim() {
        return numKvHeads * headDim;
    }

    /** Bytes of one routed expert (gate + up + down) at the given bytes per weight. */
    public long expertBytes(int bytesPerWeight) {
        return 3L * expertIntermediate * hidden * bytesPerWeight;
    }

    /** Routed expert (layer, expert) of src: gate and up (intermediate, hidden), down (hidden, intermediate). */
    public io.strata.tiering.ExpertWeights expert(io.strata.engine.checkpoint.WeightSource src, int layer, int expert) {
        if (arch == Architecture.GPT_OSS) return GptOssExperts.expert(this, src, layer, expert);
        return new io.strata.tiering.ExpertWeights(src.matrix(TensorNames.expert(arch, layer, expert, 0), expertIntermediate, hidden),
                src.matrix(TensorNames.expert(arch, layer, expert, 1), expertIntermediate, hidden),
                src.matrix(TensorNames.expert(arch, layer, expert, 2), hidden, expertIntermediate));
    }

    /** The first layer with a sparse MoE block; fails when the model has none. */
    public int firstMoeLayer() {
        for (int l = 0; l < moeLayer.length; l++) if (moeLayer[l]) return l;
        throw new IllegalArgumentException("the model has no MoE layer");
    }

    public int numMoeLayers() {
        int n = 0;
        for (boolean b : moeLayer) if (b) n++;
        return n;
    }
}
