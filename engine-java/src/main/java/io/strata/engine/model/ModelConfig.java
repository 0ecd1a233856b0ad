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
 * @param rope                the rotary frequencies and attention factor (default RoPE, or YaRN)
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
                          boolean[] slidingLayer, float swigluLimit) {
    /** gpt-oss: the sigmoid slope of its SwiGLU, {@code glu = g·σ(alpha·g)} (a constant of the architecture). */
    public static final float GPT_OSS_SWIGLU_ALPHA = 1.702f;

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
            int headDim = c.hasNonNull("head_dim") ? c.get("head_dim").asInt() : hidden / heads;
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
            RopeScaling rope = RopeScaling.parse(c, headDim, src);
            float clip = c.hasNonNull("clip_qkv") ? (float) c.get("clip_qkv").asDouble() : Float.NaN;
            boolean qkvBias = arch == Architecture.QWEN2_MOE ? c.path("qkv_bias").asBoolean(true)
                    : c.path("attention_bias").asBoolean(arch == Architecture.GPT_OSS);
            int topK = req(c, "num_experts_per_tok", src);
            if (experts > 0 && (topK < 1 || topK > experts)) {
                throw new CheckpointException(src + ": num_experts_per_tok " + topK + " must be between 1 and the number of experts ("
                        + (c.has("num_experts") && arch != Architecture.MIXTRAL ? "num_experts " : "num_local_experts ") + experts + ")");
            }
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
                    clip, qkvBias, c.path("max_position_embeddings").asInt(4096), moe, bos, eos, rope, window, sliding, limit);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(src + ": " + e.getMessage(), e);
        }
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

    public int numMoeLayers() {
        int n = 0;
        for (boolean b : moeLayer) if (b) n++;
        return n;
    }
}
