// A GGUF model seen as a Hugging Face checkpoint: config.json from its metadata, tensors under checkpoint names.
package io.strata.engine.checkpoint.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.compression.DType;
import io.strata.compression.Matrix;
import io.strata.compression.ggml.GgmlDequant;
import io.strata.compression.ggml.GgmlType;
import io.strata.engine.checkpoint.CheckpointException;
import io.strata.engine.checkpoint.ModelSource;
import io.strata.engine.checkpoint.TensorInfo;
import io.strata.engine.model.Architecture;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.TensorNames;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads llama.cpp's GGUF layout of the MoE architectures Strata runs and presents it as the
 * Hugging Face checkpoint that convert_hf_to_gguf.py would have started from:
 * <ul>
 * <li>{@code general.architecture} "llama" with experts (Mixtral), "qwen2moe", "qwen3moe", "olmoe",
 *     "deepseek2" (DeepSeek-V2 with softmax gating, V3 with sigmoid gating) and "glm4moe" become model_type
 *     mixtral, qwen2_moe, qwen3_moe, olmoe, deepseek_v2 / deepseek_v3, glm4_moe; the hyper-parameters come from the
 *     {@code ARCH.*} keys and, where GGUF leaves them implicit (expert sizes, dense layers, QKV
 *     bias, tied embeddings), from the tensors present and their shapes.
 * <li>{@code blk.N.attn_q.weight} → {@code model.layers.N.self_attn.q_proj.weight} and so on; the
 *     stacked expert tensors {@code blk.N.ffn_gate_exps.weight} (ne = [hidden, inter, experts])
 *     become one (inter, hidden) matrix per expert, and the older per-expert names
 *     {@code blk.N.ffn_gate.E.weight} are read too.
 * <li>"llama" q and k rows were permuted by the converter for ggml's interleaved RoPE; they are
 *     permuted back to the rotate-half order of the Hugging Face model.
 * <li>deepseek2's MLA tensors (attn_q_a, attn_q_b, attn_kv_a_mqa, attn_kv_b, or the newer split attn_k_b /
 *     attn_v_b joined back into kv_b_proj) and router bias (exp_probs_b); GLM-4.5's multi-token-prediction
 *     blocks past the decoder's are skipped.
 * </ul>
 * F32, F16 and BF16 tensors are served from the mapping as they are; every other type is
 * dequantized to F32 when asked for (one tensor, or one expert, at a time), and
 * {@link #convertedTypes} says which types were.
 */
public final class GgufCheckpoint implements ModelSource {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** GGUF general.architecture → the model_type it is read as (for `strata models`). */
    public static final Map<String, String> ARCHITECTURES = Map.of("llama (with expert_count)", "mixtral", "qwen2moe", "qwen2_moe",
            "qwen3moe", "qwen3_moe", "olmoe", "olmoe", "deepseek2 (softmax gating)", "deepseek_v2",
            "deepseek2 (sigmoid gating)", "deepseek_v3", "glm4moe", "glm4_moe", "gpt-oss", "gpt_oss");
    private static final Pattern BLK = Pattern.compile("blk\\.(\\d+)\\.(.+)");
    private static final Pattern OLD_EXPERT = Pattern.compile("ffn_(gate|up|down)\\.(\\d+)\\.weight");

    /**
     * Where a checkpoint tensor's values are: a GGUF tensor, one expert of a stacked tensor
     * (expert >= 0), with q/k rows to un-permute in groups of headDim (heads > 0).
     */
    record Ref(GgufTensor t, int expert, int heads, long[] shape) {}

    /** DeepSeek's kv_b_proj as newer llama.cpp splits it: kB (heads, rank, nope) transposed per head, vB (heads, v, rank). */
    record SplitKvB(GgufTensor kB, GgufTensor vB) {}

    private final GgufModel g;
    private final ObjectNode config;
    private final Architecture arch;
    private final Map<String, Ref> refs = new LinkedHashMap<>();
    private final Map<String, SplitKvB> splitKvB = new LinkedHashMap<>(); // kv_b_proj name → its two GGUF halves
    private final Map<Integer, GgufTensor[]> kvBHalves = new LinkedHashMap<>(); // layer → {attn_k_b, attn_v_b} while mapping
    private final TreeSet<GgmlType> converted = new TreeSet<>();
    private int nextnLayers; // multi-token-prediction blocks after the decoder's (GLM-4.5), skipped

    private GgufCheckpoint(GgufModel g, ObjectNode config, Architecture arch) {
        this.g = g;
        this.config = config;
        this.arch = arch;
    }

    public static GgufCheckpoint open(Path p) {
        GgufModel g = GgufModel.open(p);
        try {
            return build(g);
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
    }

    private static GgufCheckpoint build(GgufModel g) {
        Path p = g.path();
        String ga = g.getString("general.architecture", null);
        if (ga == null) throw new CheckpointException(p + ": missing GGUF metadata 'general.architecture'");
        long experts = g.metadata().get(ga + ".expert_count") instanceof Long l ? l : 0;
        Architecture arch = switch (ga) {
            case "llama" -> {
                if (experts <= 0) {
                    throw new CheckpointException(p + ": general.architecture 'llama' without " + ga + ".expert_count is a dense model; "
                            + "Strata runs MoE models (llama with experts = Mixtral, qwen2moe, qwen3moe, olmoe)");
                }
                yield Architecture.MIXTRAL;
            }
            case "qwen2moe" -> Architecture.QWEN2_MOE;
            case "qwen3moe" -> Architecture.QWEN3_MOE;
            case "olmoe" -> Architecture.OLMOE;
            // DeepSeek-V3 converts as deepseek2 too: sigmoid gating (or the correction bias) tells them apart.
            case "deepseek2" -> g.metadata().get(ga + ".expert_gating_func") instanceof Long f && f == 2
                    || g.tensors().keySet().stream().anyMatch(n -> n.endsWith(".exp_probs_b.bias")) ? Architecture.DEEPSEEK_V3
                    : Architecture.DEEPSEEK_V2;
            case "glm4moe" -> Architecture.GLM4_MOE;
            case "gpt-oss" -> Architecture.GPT_OSS;
            default -> throw new CheckpointException(p + ": GGUF architecture '" + ga + "' is not supported (supported: "
                    + "llama with experts (Mixtral), qwen2moe, qwen3moe, olmoe, deepseek2, glm4moe, gpt-oss)");
        };
        // GLM-4.5's block_count counts its multi-token-prediction layers (nextn_predict_layers) after the decoder's: unused here.
        long nextn = g.metadata().get(ga + ".nextn_predict_layers") instanceof Long nl ? nl : 0;
        int layers = (int) (g.requireLong(ga + ".block_count") - nextn);
        if (layers < 1) {
            throw new CheckpointException(p + ": " + ga + ".block_count minus nextn_predict_layers " + nextn + " leaves no decoder layer");
        }
        int hidden = (int) g.requireLong(ga + ".embedding_length");
        int heads = perLayerConstant(g, ga + ".attention.head_count", true);
        int kvHeads = g.metadata().containsKey(ga + ".attention.head_count_kv") ? perLayerConstant(g, ga + ".attention.head_count_kv", true) : heads;
        int headDim = g.metadata().containsKey(ga + ".attention.key_length") ? (int) g.requireLong(ga + ".attention.key_length") : hidden / heads;
        Map<String, GgufTensor> ts = g.tensors();
        GgufTensor embd = ts.get("token_embd.weight");
        if (embd == null) throw new CheckpointException(p + ": missing tensor token_embd.weight");
        if (embd.ne().length != 2 || embd.ne()[0] != hidden) {
            throw new CheckpointException(p + ": tensor token_embd.weight has ne " + embd.neString() + ", expected [" + hidden + ", vocab]");
        }
        int vocab = (int) embd.ne()[1];

        // Layers with a router are MoE layers; the others are dense (Qwen mlp_only_layers).
        boolean[] moe = new boolean[layers];
        int expertInter = 0, denseInter = 0, sharedInter = 0;
        for (int l = 0; l < layers; l++) {
            moe[l] = ts.containsKey("blk." + l + ".ffn_gate_inp.weight");
            GgufTensor ge = ts.get("blk." + l + ".ffn_gate_exps.weight");
            if (ge != null && expertInter == 0) expertInter = (int) ge.ne()[1];
            if (ge == null && moe[l] && expertInter == 0 && ts.containsKey("blk." + l + ".ffn_gate.0.weight")) {
                expertInter = (int) ts.get("blk." + l + ".ffn_gate.0.weight").ne()[1];
            }
            GgufTensor gd = ts.get("blk." + l + ".ffn_gate.weight");
            if (gd != null && !moe[l] && denseInter == 0) denseInter = (int) gd.ne()[1];
            GgufTensor gs = ts.get("blk." + l + ".ffn_gate_shexp.weight");
            if (gs != null && sharedInter == 0) sharedInter = (int) gs.ne()[1];
        }
        if (expertInter == 0) throw new CheckpointException(p + ": no expert tensors (blk.N.ffn_gate_exps.weight) in a MoE model");

        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add(ModelConfig.causalLmClass(arch.modelType));
        c.put("model_type", arch.modelType);
        c.put("vocab_size", vocab);
        c.put("hidden_size", hidden);
        c.put("num_hidden_layers", layers);
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", kvHeads);
        c.put("head_dim", headDim);
        c.put("num_experts_per_tok", g.requireLong(ga + ".expert_used_count"));
        c.put("rms_norm_eps", g.getDouble(ga + ".attention.layer_norm_rms_epsilon", 1e-6));
        c.put("rope_theta", g.getDouble(ga + ".rope.freq_base", 10000.0));
        String scaling = g.getString(ga + ".rope.scaling.type", "none");
        if (!scaling.equals("none")) {
            ObjectNode rs = c.putObject("rope_scaling");
            rs.put("rope_type", scaling);
            if (scaling.equals("yarn")) { // llama.cpp keeps factor and the original context; beta 32/1 are its defaults too
                rs.put("factor", g.getDouble(ga + ".rope.scaling.factor", Double.NaN));
                if (g.metadata().get(ga + ".rope.scaling.original_context_length") instanceof Long o) rs.put("original_max_position_embeddings", o);
                rs.put("beta_fast", g.getDouble(ga + ".rope.scaling.yarn_beta_fast", 32.0));
                rs.put("beta_slow", g.getDouble(ga + ".rope.scaling.yarn_beta_slow", 1.0));
                if (arch == Architecture.GPT_OSS) rs.put("truncate", false); // as gpt-oss's config.json says
                double logMul = g.getDouble(ga + ".rope.scaling.yarn_log_multiplier", 0);
                if (logMul != 0) { // DeepSeek: llama.cpp keeps 0.1·mscale_all_dim, with mscale equal to it (its rope cancels the rest)
                    rs.put("mscale_all_dim", logMul / 0.1);
                    rs.put("mscale", logMul / 0.1);
                }
            }
        }
        c.put("max_position_embeddings", g.metadata().get(ga + ".context_length") instanceof Long l ? l : 4096);
        c.put("tie_word_embeddings", !ts.containsKey("output.weight"));
        if (g.metadata().get("tokenizer.ggml.bos_token_id") instanceof Long b) c.put("bos_token_id", b);
        if (g.metadata().get("tokenizer.ggml.eos_token_id") instanceof Long e) c.put("eos_token_id", e);
        boolean bias = ts.containsKey("blk.0.attn_q.bias");
        switch (arch) {
            case MIXTRAL -> {
                c.put("num_local_experts", experts);
                c.put("intermediate_size", expertInter);
            }
            case GPT_OSS -> {
                c.put("num_local_experts", experts);
                c.put("intermediate_size", expertInter);
                // llama.cpp's gpt-oss: sliding-window attention on even layers, full on odd ones
                if (g.metadata().get(ga + ".attention.sliding_window") instanceof Long sw) {
                    c.put("sliding_window", sw);
                    ArrayNode types = c.putArray("layer_types");
                    for (int l = 0; l < layers; l++) types.add(l % 2 == 0 ? "sliding_attention" : "full_attention");
                } else {
                    throw new CheckpointException(p + ": missing GGUF metadata '" + ga + ".attention.sliding_window' (gpt-oss alternates sliding-window layers)");
                }
            }
            case OLMOE -> {
                c.put("num_experts", experts);
                c.put("intermediate_size", expertInter);
                c.put("norm_topk_prob", false);
                double clamp = g.getDouble(ga + ".attention.clamp_kqv", Double.NaN);
                if (!Double.isNaN(clamp)) c.put("clip_qkv", clamp);
            }
            case DEEPSEEK_V2, DEEPSEEK_V3, GLM4_MOE -> { } // deepseekConfig below
            default -> {
                c.put("num_experts", experts);
                c.put("moe_intermediate_size", expertInter);
                c.put("intermediate_size", denseInter);
                c.put("decoder_sparse_step", 1);
                ArrayNode dense = c.putArray("mlp_only_layers");
                for (int l = 0; l < layers; l++) if (!moe[l]) dense.add(l);
                // llama.cpp renormalises the top-k weights of qwen3moe and not of qwen2moe, unless the file says.
                Object norm = g.metadata().get(ga + ".expert_weights_norm");
                c.put("norm_topk_prob", norm instanceof Boolean b ? b.booleanValue() : arch == Architecture.QWEN3_MOE);
                if (arch == Architecture.QWEN2_MOE) {
                    c.put("shared_expert_intermediate_size", sharedInter);
                    c.put("qkv_bias", bias);
                }
            }
        }
        if (arch.deepseekMoe()) deepseekConfig(g, ga, arch, c, moe, expertInter, denseInter, sharedInter, heads, headDim, experts);
        if (arch != Architecture.QWEN2_MOE) c.put("attention_bias", bias);
        ModelConfig mc = ModelConfig.parse(c, p + " (its metadata as config.json)");
        GgufCheckpoint ck = new GgufCheckpoint(g, c, arch);
        ck.nextnLayers = (int) nextn;
        ck.mapNames(mc, ga.equals("llama"));
        return ck;
    }

    /**
     * The DeepSeek-V2/V3 and GLM-4.5 keys of config.json from llama.cpp's deepseek2 / glm4moe metadata: MLA dimensions
     * (key_length_mla / value_length_mla, or key_length / value_length in files from before llama.cpp split kv_b),
     * leading dense layers, shared experts, gating function, groups and scaling of the router, partial rotary.
     */
    private static void deepseekConfig(GgufModel g, String ga, Architecture arch, ObjectNode c, boolean[] moe, int expertInter,
                                       int denseInter, int sharedInter, int heads, int headDim, long experts) {
        Path p = g.path();
        Map<String, GgufTensor> ts = g.tensors();
        c.put("n_routed_experts", experts);
        c.put("moe_intermediate_size", expertInter);
        c.put("intermediate_size", denseInter > 0 ? denseInter : expertInter);
        int firstDense = 0;
        while (firstDense < moe.length && !moe[firstDense]) firstDense++;
        if (g.metadata().get(ga + ".leading_dense_block_count") instanceof Long ld && ld != firstDense) {
            throw new CheckpointException(p + ": " + ga + ".leading_dense_block_count is " + ld + " but the first router (ffn_gate_inp) is in block "
                    + firstDense);
        }
        for (int l = firstDense; l < moe.length; l++) {
            if (!moe[l]) throw new CheckpointException(p + ": block " + l + " has no router (blk." + l + ".ffn_gate_inp.weight) after the leading dense blocks");
        }
        c.put("first_k_dense_replace", firstDense);
        long shared = g.metadata().get(ga + ".expert_shared_count") instanceof Long sc ? sc : sharedInter / Math.max(1, expertInter);
        if (sharedInter != shared * expertInter) {
            throw new CheckpointException(p + ": shared experts (ffn_*_shexp) have " + sharedInter + " rows, expected expert_shared_count "
                    + shared + " x expert_feed_forward_length " + expertInter);
        }
        c.put("n_shared_experts", shared);
        c.put("routed_scaling_factor", g.getDouble(ga + ".expert_weights_scale", 1.0));
        c.put("norm_topk_prob", g.metadata().get(ga + ".expert_weights_norm") instanceof Boolean b ? b.booleanValue() : arch != Architecture.DEEPSEEK_V2);
        long gating = g.metadata().get(ga + ".expert_gating_func") instanceof Long f ? f : arch == Architecture.DEEPSEEK_V2 ? 1 : 2;
        if (gating != 1 && gating != 2) {
            throw new CheckpointException(p + ": " + ga + ".expert_gating_func " + gating + " is not supported (1 softmax, 2 sigmoid)");
        }
        long groups = g.metadata().get(ga + ".expert_group_count") instanceof Long gc ? gc : 1;
        long used = g.metadata().get(ga + ".expert_group_used_count") instanceof Long gu ? gu : groups;
        c.put("scoring_func", gating == 2 ? "sigmoid" : "softmax");
        c.put("topk_method", gating == 2 ? "noaux_tc" : groups > 1 ? "group_limited_greedy" : "greedy");
        c.put("n_group", groups);
        c.put("topk_group", used);
        long rope = g.requireLong(ga + ".rope.dimension_count");
        if (arch == Architecture.GLM4_MOE) {
            c.put("partial_rotary_factor", (double) rope / headDim);
            c.put("use_qk_norm", ts.containsKey("blk.0.attn_q_norm.weight"));
            return;
        }
        c.put("num_key_value_heads", heads); // llama.cpp writes 1 (MLA as MQA over the latent); the checkpoint has one per head
        c.remove("head_dim");
        long kvRank = g.requireLong(ga + ".attention.kv_lora_rank");
        boolean mlaKeys = g.metadata().containsKey(ga + ".attention.key_length_mla");
        long qkHead = mlaKeys ? g.requireLong(ga + ".attention.key_length_mla") : g.requireLong(ga + ".attention.key_length");
        long vHead = mlaKeys ? g.requireLong(ga + ".attention.value_length_mla") : g.requireLong(ga + ".attention.value_length");
        if (qkHead <= rope) {
            throw new CheckpointException(p + ": attention key length " + qkHead + " must exceed rope.dimension_count " + rope);
        }
        c.put("kv_lora_rank", kvRank);
        if (ts.containsKey("blk.0.attn_q_a.weight")) c.put("q_lora_rank", g.requireLong(ga + ".attention.q_lora_rank"));
        else c.putNull("q_lora_rank");
        c.put("qk_rope_head_dim", rope);
        c.put("qk_nope_head_dim", qkHead - rope);
        c.put("v_head_dim", vHead);
        c.put("rope_interleave", true); // deepseek2 rotates adjacent pairs, the checkpoint's own layout
    }

    /** A head count that GGUF may store per layer (an array): it must be one value here. */
    private static int perLayerConstant(GgufModel g, String key, boolean required) {
        Object v = g.require(key);
        if (v instanceof Long l) return (int) (long) l;
        if (v instanceof GgufArray a && a.values() instanceof long[] arr && arr.length > 0) {
            for (long x : arr) {
                if (x != arr[0]) {
                    throw new CheckpointException(g.path() + ": GGUF metadata '" + key + "' varies per layer " + Arrays.toString(arr)
                            + "; Strata needs one value for every layer");
                }
            }
            return (int) arr[0];
        }
        throw new CheckpointException(g.path() + ": GGUF metadata '" + key + "' is " + v + ", expected an integer");
    }

    private void mapNames(ModelConfig c, boolean permutedRope) {
        Path p = g.path();
        for (GgufTensor t : g.tensors().values()) {
            String n = t.name();
            switch (n) {
                case "token_embd.weight" -> put(TensorNames.EMBED, t, -1, 0);
                case "output_norm.weight" -> put(TensorNames.FINAL_NORM, t, -1, 0);
                case "output.weight" -> put(TensorNames.LM_HEAD, t, -1, 0);
                default -> {
                    Matcher m = BLK.matcher(n);
                    if (!m.matches()) throw unknown(t);
                    int l = Integer.parseInt(m.group(1));
                    if (l >= c.numLayers() + nextnLayers) {
                        throw new CheckpointException(p + ": tensor " + n + " is for layer " + l + " but block_count is " + (c.numLayers() + nextnLayers));
                    }
                    if (l >= c.numLayers()) continue; // a multi-token-prediction layer: not part of the decoder
                    mapLayerTensor(c, t, l, m.group(2), permutedRope);
                }
            }
        }
        for (var e : kvBHalves.entrySet()) {
            GgufTensor[] kv = e.getValue();
            int l = e.getKey();
            if (kv[0] == null || kv[1] == null) {
                throw new CheckpointException(p + ": layer " + l + " has " + (kv[0] == null ? "attn_v_b without attn_k_b" : "attn_k_b without attn_v_b"));
            }
            ModelConfig.Mla mla = c.mla();
            int H = c.numHeads();
            long[] kWant = {mla.qkNopeHeadDim(), mla.kvLoraRank(), H}, vWant = {mla.kvLoraRank(), mla.vHeadDim(), H};
            if (!Arrays.equals(kv[0].ne(), kWant) || !Arrays.equals(kv[1].ne(), vWant)) {
                throw new CheckpointException(kv[0].file() + ": tensors " + kv[0].name() + " / " + kv[1].name() + " have ne " + kv[0].neString()
                        + " / " + kv[1].neString() + ", expected " + Arrays.toString(kWant) + " / " + Arrays.toString(vWant));
            }
            String name = TensorNames.attn(l, "kv_b_proj.weight");
            if (refs.containsKey(name)) {
                throw new CheckpointException(kv[0].file() + ": layer " + l + " has both attn_kv_b and attn_k_b / attn_v_b");
            }
            splitKvB.put(name, new SplitKvB(kv[0], kv[1]));
            // Listed like any tensor (F32 once joined); load() assembles it.
            refs.put(name, new Ref(kv[0], -1, 0, new long[] {(long) H * (mla.qkNopeHeadDim() + mla.vHeadDim()), mla.kvLoraRank()}));
        }
    }

    private void mapLayerTensor(ModelConfig c, GgufTensor t, int l, String rest, boolean permutedRope) {
        String moe = TensorNames.moe(arch, l);
        String[] parts = {"gate", "up", "down"};
        switch (rest) {
            case "attn_norm.weight" -> put(TensorNames.layer(l, "input_layernorm.weight"), t, -1, 0);
            // glm4moe and gpt-oss name the norm before the FFN post_attention_norm (as the checkpoint does), the others ffn_norm
            case "ffn_norm.weight", "post_attention_norm.weight" -> put(TensorNames.layer(l, "post_attention_layernorm.weight"), t, -1, 0);
            case "attn_q_a.weight" -> put(TensorNames.attn(l, "q_a_proj.weight"), t, -1, 0);
            case "attn_q_a_norm.weight" -> put(TensorNames.attn(l, "q_a_layernorm.weight"), t, -1, 0);
            case "attn_q_b.weight" -> put(TensorNames.attn(l, "q_b_proj.weight"), t, -1, 0);
            case "attn_kv_a_mqa.weight" -> put(TensorNames.attn(l, "kv_a_proj_with_mqa.weight"), t, -1, 0);
            case "attn_kv_a_norm.weight" -> put(TensorNames.attn(l, "kv_a_layernorm.weight"), t, -1, 0);
            case "attn_kv_b.weight" -> put(TensorNames.attn(l, "kv_b_proj.weight"), t, -1, 0);
            case "attn_k_b.weight" -> kvBHalves.computeIfAbsent(l, k -> new GgufTensor[2])[0] = t;
            case "attn_v_b.weight" -> kvBHalves.computeIfAbsent(l, k -> new GgufTensor[2])[1] = t;
            case "exp_probs_b.bias" -> put(TensorNames.scoreBias(arch, l), t, -1, 0);
            case "attn_q.weight", "attn_q.bias" -> put(TensorNames.layer(l, "self_attn.q_proj." + suffix(rest)), t, -1, permutedRope ? c.numHeads() : 0);
            case "attn_k.weight", "attn_k.bias" -> put(TensorNames.layer(l, "self_attn.k_proj." + suffix(rest)), t, -1, permutedRope ? c.numKvHeads() : 0);
            case "attn_v.weight", "attn_v.bias" -> put(TensorNames.layer(l, "self_attn.v_proj." + suffix(rest)), t, -1, 0);
            case "attn_output.weight", "attn_output.bias" -> put(TensorNames.layer(l, "self_attn.o_proj." + suffix(rest)), t, -1, 0);
            case "attn_sinks", "attn_sinks.weight" -> put(TensorNames.layer(l, "self_attn.sinks"), t, -1, 0);
            case "ffn_gate_inp.bias" -> put(moe + ".router.bias", t, -1, 0);
            case "ffn_gate_exps.bias", "ffn_up_exps.bias", "ffn_down_exps.bias" ->
                    put(moe + ".experts." + parts[part(rest)] + "_proj_bias", t, -1, 0); // (experts, I) or (experts, hidden)
            case "attn_q_norm.weight" -> put(TensorNames.layer(l, "self_attn.q_norm.weight"), t, -1, 0);
            case "attn_k_norm.weight" -> put(TensorNames.layer(l, "self_attn.k_norm.weight"), t, -1, 0);
            case "ffn_gate_inp.weight" -> put(TensorNames.router(arch, l), t, -1, 0);
            case "ffn_gate_inp_shexp.weight" -> put(moe + ".shared_expert_gate.weight", t, -1, 0);
            case "ffn_gate_shexp.weight", "ffn_up_shexp.weight", "ffn_down_shexp.weight" ->
                    put(TensorNames.ffn(TensorNames.shared(arch, l), part(rest)), t, -1, 0);
            case "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight" -> put(TensorNames.ffn(TensorNames.layer(l, "mlp"), part(rest)), t, -1, 0);
            case "ffn_gate_exps.weight", "ffn_up_exps.weight", "ffn_down_exps.weight" -> {
                if (t.ne().length != 3 || t.ne()[2] != c.numExperts()) {
                    throw new CheckpointException(t.file() + ": tensor " + t.name() + " has ne " + t.neString() + ", expected 3 dimensions with "
                            + c.numExperts() + " experts last");
                }
                for (int e = 0; e < c.numExperts(); e++) put(TensorNames.expert(arch, l, e, part(rest)), t, e, 0);
            }
            default -> {
                Matcher m = OLD_EXPERT.matcher(rest);
                if (!m.matches()) throw unknown(t);
                int e = Integer.parseInt(m.group(2));
                if (e >= c.numExperts()) throw new CheckpointException(t.file() + ": tensor " + t.name() + " names expert " + e + " of " + c.numExperts());
                put(TensorNames.expert(arch, l, e, Arrays.asList(parts).indexOf(m.group(1))), t, -1, 0);
            }
        }
    }

    private static String suffix(String rest) {
        return rest.substring(rest.lastIndexOf('.') + 1);
    }

    /** "ffn_up_exps.weight" → 1: the part index of {@link TensorNames#expert} (0 gate, 1 up, 2 down). */
    private static int part(String rest) {
        return rest.startsWith("ffn_gate") ? 0 : rest.startsWith("ffn_up") ? 1 : 2;
    }

    private CheckpointException unknown(GgufTensor t) {
        return new CheckpointException(t.file() + ": tensor " + t.name() + " has no place in Strata's " + arch.modelType
                + " model (expected llama.cpp's names: token_embd, output_norm, output, blk.N.attn_*, blk.N.ffn_*)");
    }

    private void put(String hfName, GgufTensor t, int expert, int heads) {
        long[] shape = t.hfShape();
        if (expert >= 0) shape = Arrays.copyOfRange(shape, 1, shape.length);
        // A 1-D shared-expert gate is the (1, hidden) linear weight of the checkpoint.
        if (hfName.endsWith("shared_expert_gate.weight") && shape.length == 1) shape = new long[] {1, shape[0]};
        if (refs.put(hfName, new Ref(t, expert, heads, shape)) != null) {
            throw new CheckpointException(t.file() + ": tensor " + t.name() + " maps to " + hfName + " which another tensor already gave");
        }
    }

    @Override
    public Path path() {
        return g.path();
    }

    @Override
    public JsonNode config() {
        return config;
    }

    public GgufModel gguf() {
        return g;
    }

    @Override
    public List<String> tensorNames() {
        return List.copyOf(refs.keySet());
    }

    /** The ggml types that had to be dequantized to F32 so far (their quantized bytes are not kept). */
    public synchronized List<GgmlType> convertedTypes() {
        return new ArrayList<>(converted);
    }

    /** The GGUF type behind a checkpoint tensor name. */
    public GgmlType typeOf(String name) {
        return ref(name).t().type();
    }

    /**
     * A tensor's ggml bytes as they are in the file (one expert's slice of a stacked tensor), without dequantizing:
     * what {@code strata pack} keeps for experts of a type with a kernel. Not for the q/k projections of "llama"
     * files (their rows are permuted).
     */
    public io.strata.compression.ggml.GgmlMatrix ggml(String name) {
        Ref r = ref(name);
        GgufTensor t = r.t();
        if (r.heads() > 0 || r.shape().length != 2) {
            throw new CheckpointException(t.file() + ": tensor " + t.name() + " cannot be read as stored (expected a 2-D tensor in file order, found shape "
                    + Arrays.toString(r.shape()) + (r.heads() > 0 ? " with permuted rows" : "") + ")");
        }
        MemorySegment src = t.data();
        if (r.expert() >= 0) {
            long per = src.byteSize() / t.ne()[2];
            src = src.asSlice(per * r.expert(), per);
        }
        try {
            return new io.strata.compression.ggml.GgmlMatrix(name, t.type(), (int) r.shape()[0], (int) r.shape()[1], src);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(t.file() + ": tensor " + t.name() + ": " + e.getMessage(), e);
        }
    }

    private Ref ref(String name) {
        Ref r = refs.get(name);
        if (r == null) throw new CheckpointException(g.path() + ": missing tensor " + name + " (no GGUF tensor maps to it)");
        return r;
    }

    @Override
    public boolean has(String name) {
        return refs.containsKey(name);
    }

    @Override
    public TensorInfo load(String name) {
        SplitKvB split = splitKvB.get(name);
        if (split != null) return joinKvB(name, split);
        Ref r = ref(name);
        GgufTensor t = r.t();
        MemorySegment src = t.data();
        if (r.expert() >= 0) {
            long per = src.byteSize() / t.ne()[2];
            src = src.asSlice(per * r.expert(), per);
        }
        long numel = 1;
        for (long d : r.shape()) numel *= d;
        DType plain = switch (t.type()) {
            case F32 -> DType.F32;
            case F16 -> DType.F16;
            case BF16 -> DType.BF16;
            default -> null;
        };
        if (plain != null && r.heads() == 0) return new TensorInfo(name, t.file(), plain, r.shape(), src);
        if (!t.type().dequantizable) {
            throw new CheckpointException(t.file() + ": tensor " + t.name() + " has ggml type " + t.type() + ", which Strata cannot read (supported: "
                    + GgmlType.supportedNames() + ")");
        }
        if (numel > Integer.MAX_VALUE) throw new CheckpointException(t.file() + ": tensor " + t.name() + " is too large to dequantize at once");
        if (plain == null) synchronized (this) {
            converted.add(t.type());
        }
        int rowLen = (int) t.ne()[0];
        long rows = numel / rowLen;
        // Row by row into the output (a block never straddles rows, so each row's bytes are whole
        // blocks): the transient heap copy is one row, not the tensor (an expert is hundreds of MB).
        long rowBytes = rowLen / t.type().blockSize * (long) t.type().typeSize;
        MemorySegment out = Arena.ofAuto().allocate(numel * 4, 64);
        float[] row = new float[rowLen];
        ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < rows; i++) {
            GgmlDequant.dequantize(t.type(), src, i * rowBytes, row, 0, rowLen);
            MemorySegment.copy(row, 0, out, f32, i * rowLen * 4, rowLen);
        }
        if (r.heads() > 0) {
            // q/k projections only (small): un-permute through one heap copy.
            float[] v = out.toArray(f32);
            v = unpermute(v, r.shape(), r.heads());
            MemorySegment.copy(v, 0, out, f32, 0, v.length);
        }
        return new TensorInfo(name, t.file(), DType.F32, r.shape(), out);
    }

    /** A whole GGUF tensor as F32 values in its row-major order (ne[0] fastest), dequantized if need be. */
    private float[] floats(GgufTensor t) {
        long numel = 1;
        for (long d : t.ne()) numel *= d;
        if (numel > Integer.MAX_VALUE) throw new CheckpointException(t.file() + ": tensor " + t.name() + " is too large to read at once");
        if (!t.type().dequantizable && t.type() != GgmlType.F32 && t.type() != GgmlType.F16 && t.type() != GgmlType.BF16) {
            throw new CheckpointException(t.file() + ": tensor " + t.name() + " has ggml type " + t.type() + ", which Strata cannot read (supported: "
                    + GgmlType.supportedNames() + ")");
        }
        int rowLen = (int) t.ne()[0];
        long rows = numel / rowLen;
        long rowBytes = rowLen / t.type().blockSize * (long) t.type().typeSize;
        float[] out = new float[(int) numel];
        for (long i = 0; i < rows; i++) GgmlDequant.dequantize(t.type(), t.data(), i * rowBytes, out, (int) (i * rowLen), rowLen);
        if (t.type() != GgmlType.F32 && t.type() != GgmlType.F16 && t.type() != GgmlType.BF16) synchronized (this) {
            converted.add(t.type());
        }
        return out;
    }

    /**
     * kv_b_proj (heads·(nope + v), rank) joined from llama.cpp's halves: per head h, rows [h·(nope+v), +nope) are
     * attn_k_b[h] transposed ((rank, nope) → (nope, rank)) and the next v rows are attn_v_b[h] (v, rank).
     */
    private TensorInfo joinKvB(String name, SplitKvB s) {
        int nope = (int) s.kB().ne()[0], rank = (int) s.kB().ne()[1], H = (int) s.kB().ne()[2], v = (int) s.vB().ne()[1];
        float[] k = floats(s.kB()), vb = floats(s.vB());
        MemorySegment out = Arena.ofAuto().allocate(4L * H * (nope + v) * rank, 64);
        ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int h = 0; h < H; h++) {
            long base = (long) h * (nope + v);
            for (int d = 0; d < nope; d++) {
                for (int r = 0; r < rank; r++) out.setAtIndex(f32, (base + d) * rank + r, k[(h * rank + r) * nope + d]);
            }
            MemorySegment.copy(vb, h * v * rank, out, f32, (base + nope) * rank * 4, v * rank);
        }
        return new TensorInfo(name, s.kB().file(), DType.F32, new long[] {(long) H * (nope + v), rank}, out);
    }

    /**
     * Undoes convert_hf_to_gguf's permute for ggml's interleaved RoPE: within each head of hd
     * rows, GGUF row 2i+j holds Hugging Face row j·hd/2 + i (j = 0, 1).
     */
    static float[] unpermute(float[] v, long[] shape, int heads) {
        int rows = (int) shape[0], cols = shape.length > 1 ? (int) shape[1] : 1;
        if (rows % heads != 0 || (rows / heads) % 2 != 0) {
            throw new IllegalArgumentException("cannot un-permute " + rows + " rows into " + heads + " heads of even size");
        }
        int hd = rows / heads;
        float[] out = new float[v.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < hd / 2; i++) {
                for (int j = 0; j < 2; j++) {
                    int from = h * hd + 2 * i + j, to = h * hd + j * hd / 2 + i;
                    System.arraycopy(v, from * cols, out, to * cols, cols);
                }
            }
        }
        return out;
    }

    @Override
    public long totalBytes() {
        long total = 0;
        for (Map.Entry<String, Ref> e : refs.entrySet()) {
            long n = 1;
            for (long d : e.getValue().shape()) n *= d;
            GgmlType ty = e.getValue().t().type();
            total += n * (ty == GgmlType.F16 || ty == GgmlType.BF16 ? 2 : 4);
        }
        return total;
    }

    private TensorInfo checked(String name, long... expected) {
        Ref r = ref(name);
        if (!Arrays.equals(r.shape(), expected)) {
            throw new CheckpointException(r.t().file() + ": tensor " + name + " (GGUF " + r.t().name() + (r.expert() >= 0 ? ", expert " + r.expert() : "")
                    + ") has shape " + Arrays.toString(r.shape()) + ", expected " + Arrays.toString(expected));
        }
        return load(name);
    }

    @Override
    public Matrix matrix(String name, int rows, int cols) {
        TensorInfo t = checked(name, rows, cols);
        return new Matrix(name, t.data(), t.dtype(), rows, cols);
    }

    @Override
    public Matrix vector(String name, int len) {
        TensorInfo t = checked(name, len);
        return new Matrix(name, t.data(), t.dtype(), 1, len);
    }

    @Override
    public void close() {
        g.close();
    }
}
