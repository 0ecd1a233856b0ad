#!/usr/bin/env python3
"""Tiny GGUF models for Strata's GGUF reader, written by the `gguf` package, each with the
safetensors twin that holds exactly the values the GGUF file holds.

Sources are the golden tiny models (engine-java/src/test/resources/golden/ARCH, float32, made
from Hugging Face transformers by tools/gpu/make_golden.py). Each is written in llama.cpp's
layout (the tensor names and metadata keys of convert_hf_to_gguf.py): Mixtral as
general.architecture "llama" with stacked experts (ffn_*_exps) and q/k permuted for ggml's
interleaved RoPE, Qwen2-MoE, Qwen3-MoE and OLMoE under their own names.

    pip install gguf==0.19.0 numpy safetensors
    python3 tools/gguf-fixtures/make_tiny_gguf.py engine-java/src/test/resources/golden engine-java/src/test/resources/gguf [PREFIX]

(PREFIX, e.g. "deepseek2" or "glm4moe": write only the deepseek2/glm4moe fixtures of that name.)

Writes OUT/NAME/model.gguf (or model-0000N-of-0000M.gguf) and, when the GGUF type changes the
values, OUT/NAME/twin/{config.json,model.safetensors}:
  mixtral-f32     F32, two shards (the twin is the golden model itself)
  qwen2_moe-f16   2-D weights F16, norms and biases F32
  olmoe-bf16      2-D weights BF16, norms F32
  qwen3_moe-q8_0  2-D weights Q8_0 (twin: numpy's dequantized values as F32)
  deepseek2-v2-f32    DeepSeek-V2-Lite shaped golden model as llama.cpp's deepseek2, F32, kv_b_proj whole
                      (attn_kv_b, as files converted before llama.cpp split it); the twin is the golden model
  deepseek2-v3-f16    DeepSeek-V3 shaped (sigmoid gating, exp_probs_b, expert groups, q LoRA, YaRN), 2-D weights
                      F16, kv_b_proj split into attn_k_b (transposed per head) and attn_v_b as llama.cpp writes it
                      now, a multi-token-prediction block after the decoder's
  glm4moe-q8_0        GLM-4.5 shaped (partial RoPE, QKV bias, post_attention_norm), 2-D weights Q8_0, with a
                      multi-token-prediction block counted in block_count (nextn_predict_layers)
"""
import json
import shutil
import sys
from pathlib import Path

import gguf
import numpy as np
from gguf import GGMLQuantizationType as T
from safetensors.numpy import save_file

ARCH = {"mixtral": "llama", "qwen2_moe": "qwen2moe", "qwen3_moe": "qwen3moe", "olmoe": "olmoe"}


def permute(w, n_head):
    """Hugging Face rotate-half rows -> ggml interleaved pairs (convert_hf_to_gguf LlamaModel.permute)."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def load_file(path):
    """A safetensors file as float32 arrays (F32, F16 or BF16; numpy has no bfloat16)."""
    raw = Path(path).read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    out = {}
    for k, t in header.items():
        if k == "__metadata__":
            continue
        b, e = t["data_offsets"]
        buf = np.frombuffer(raw[8 + n + b:8 + n + e], dtype=np.uint8)
        if t["dtype"] == "BF16":
            a = (buf.view("<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            a = buf.view({"F32": "<f4", "F16": "<f2"}[t["dtype"]]).astype(np.float32)
        out[k] = a.reshape(t["shape"])
    return out


def bf16(a):
    b = a.astype(np.float32).view(np.uint32)
    return ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)


def write(src: Path, out: Path, arch_key: str, qtype, shards: int = 1):
    cfg = json.loads((src / "config.json").read_text())
    W = load_file(str(src / "model.safetensors"))
    arch = ARCH[arch_key]
    L, H = cfg["num_hidden_layers"], cfg["hidden_size"]
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    E = cfg.get("num_local_experts", cfg.get("num_experts"))
    out.mkdir(parents=True, exist_ok=True)
    w = gguf.GGUFWriter(out / "model.gguf", arch, split_max_tensors=(0 if shards == 1 else 20))
    w.add_name(f"strata-tiny-{arch_key}")
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(H)
    w.add_block_count(L)
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(nh)
    w.add_head_count_kv(nkv)
    w.add_key_length(cfg.get("head_dim", H // nh))
    w.add_value_length(cfg.get("head_dim", H // nh))
    w.add_rope_freq_base(float(cfg["rope_parameters"]["rope_theta"]))
    w.add_layer_norm_rms_eps(float(cfg["rms_norm_eps"]))
    w.add_expert_count(E)
    w.add_expert_used_count(cfg["num_experts_per_tok"])
    if "moe_intermediate_size" in cfg:
        w.add_expert_feed_forward_length(cfg["moe_intermediate_size"])
    if cfg.get("shared_expert_intermediate_size"):
        w.add_expert_shared_feed_forward_length(cfg["shared_expert_intermediate_size"])
    if cfg.get("clip_qkv"):
        w.add_clamp_kqv(float(cfg["clip_qkv"]))
    w.add_vocab_size(cfg["vocab_size"])
    w.add_bos_token_id(cfg["bos_token_id"])
    w.add_eos_token_id(cfg["eos_token_id"])
    twin = {}

    def put(gname, hf_names, a, hf_values=None):
        """Adds gname; twin[hf] gets exactly what the GGUF tensor holds (hf_values: the twin's layout)."""
        a = np.ascontiguousarray(a, dtype=np.float32)
        if a.ndim == 1 or qtype == T.F32:
            w.add_tensor(gname, a)
            held = a
        elif qtype == T.F16:
            h = a.astype(np.float16)
            w.add_tensor(gname, h)
            held = h
        elif qtype == T.BF16:
            b = bf16(a)
            w.add_tensor(gname, b, raw_shape=a.shape, raw_dtype=T.BF16)
            held = b  # kept as raw bf16 bits; the twin stores them as BF16 too
        else:
            q = gguf.quants.quantize(a, qtype)
            w.add_tensor(gname, q, raw_dtype=qtype)
            held = gguf.quants.dequantize(q, qtype).astype(np.float32)
        if hf_values is not None:
            held = hf_values(held)
        if isinstance(hf_names, str):
            twin[hf_names] = held
        else:  # stacked experts: one twin tensor per expert
            for e, n in enumerate(hf_names):
                twin[n] = np.ascontiguousarray(held[e])

    put("token_embd.weight", "model.embed_tokens.weight", W["model.embed_tokens.weight"])
    put("output_norm.weight", "model.norm.weight", W["model.norm.weight"])
    put("output.weight", "lm_head.weight", W["lm_head.weight"])
    for i in range(L):
        p = f"model.layers.{i}."
        put(f"blk.{i}.attn_norm.weight", p + "input_layernorm.weight", W[p + "input_layernorm.weight"])
        put(f"blk.{i}.ffn_norm.weight", p + "post_attention_layernorm.weight", W[p + "post_attention_layernorm.weight"])
        for b, heads in (("q", nh), ("k", nkv)):
            x = W[p + f"self_attn.{b}_proj.weight"]
            if arch == "llama":
                # the twin holds the un-permuted rows: permute back by the inverse reshape
                inv = lambda v, n=heads: v.reshape(n, v.shape[0] // n // 2, 2, *v.shape[1:]).swapaxes(1, 2).reshape(v.shape)
                put(f"blk.{i}.attn_{b}.weight", p + f"self_attn.{b}_proj.weight", permute(x, heads), inv)
            else:
                put(f"blk.{i}.attn_{b}.weight", p + f"self_attn.{b}_proj.weight", x)
        put(f"blk.{i}.attn_v.weight", p + "self_attn.v_proj.weight", W[p + "self_attn.v_proj.weight"])
        put(f"blk.{i}.attn_output.weight", p + "self_attn.o_proj.weight", W[p + "self_attn.o_proj.weight"])
        for b in ("q", "k", "v"):
            if p + f"self_attn.{b}_proj.bias" in W:
                put(f"blk.{i}.attn_{b}.bias", p + f"self_attn.{b}_proj.bias", W[p + f"self_attn.{b}_proj.bias"])
        if p + "self_attn.q_norm.weight" in W:
            put(f"blk.{i}.attn_q_norm.weight", p + "self_attn.q_norm.weight", W[p + "self_attn.q_norm.weight"])
            put(f"blk.{i}.attn_k_norm.weight", p + "self_attn.k_norm.weight", W[p + "self_attn.k_norm.weight"])
        m = p + ("block_sparse_moe." if arch == "llama" else "mlp.")
        put(f"blk.{i}.ffn_gate_inp.weight", m + "gate.weight", W[m + "gate.weight"])
        names = {"gate": "w1", "down": "w2", "up": "w3"} if arch == "llama" else {k: k + "_proj" for k in ("gate", "down", "up")}
        for ours, theirs in names.items():
            hf = [m + f"experts.{e}.{theirs}.weight" for e in range(E)]
            put(f"blk.{i}.ffn_{ours}_exps.weight", hf, np.stack([W[n] for n in hf]))
        if m + "shared_expert.gate_proj.weight" in W:
            for ours in ("gate", "down", "up"):
                put(f"blk.{i}.ffn_{ours}_shexp.weight", m + f"shared_expert.{ours}_proj.weight", W[m + f"shared_expert.{ours}_proj.weight"])
            put(f"blk.{i}.ffn_gate_inp_shexp.weight", m + "shared_expert_gate.weight", W[m + "shared_expert_gate.weight"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    if qtype != T.F32:
        (out / "twin").mkdir(exist_ok=True)
        shutil.copy(src / "config.json", out / "twin" / "config.json")
        if qtype == T.BF16:
            # safetensors.numpy has no bfloat16: write the header by hand around the raw bits
            save_bf16(out / "twin" / "model.safetensors", twin)
        else:
            save_file({k: np.ascontiguousarray(v) for k, v in twin.items()}, str(out / "twin" / "model.safetensors"))
    print("wrote", out, sorted(p.name for p in out.iterdir()))


def write_mla(src: Path, out: Path, arch_key: str, qtype, split_kvb: bool, nextn: int = 0):
    """deepseek2 / glm4moe in llama.cpp's layout (convert_hf_to_gguf.py DeepseekV2Model, Glm4MoeModel)."""
    cfg = json.loads((src / "config.json").read_text())
    W = load_file(str(src / "model.safetensors"))
    glm = arch_key == "glm4_moe"
    arch = "glm4moe" if glm else "deepseek2"
    L, H = cfg["num_hidden_layers"], cfg["hidden_size"]
    nh = cfg["num_attention_heads"]
    E = cfg["n_routed_experts"]
    out.mkdir(parents=True, exist_ok=True)
    w = gguf.GGUFWriter(out / "model.gguf", arch)
    w.add_name(f"strata-tiny-{arch_key}")
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(H)
    w.add_block_count(L + nextn)
    if nextn:
        w.add_nextn_predict_layers(nextn)
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(nh)
    rp = cfg["rope_parameters"]
    w.add_rope_freq_base(float(rp["rope_theta"]))
    w.add_layer_norm_rms_eps(float(cfg["rms_norm_eps"]))
    w.add_expert_count(E)
    w.add_expert_used_count(cfg["num_experts_per_tok"])
    w.add_expert_feed_forward_length(cfg["moe_intermediate_size"])
    w.add_expert_shared_count(cfg["n_shared_experts"])
    w.add_leading_dense_block_count(cfg["first_k_dense_replace"])
    w.add_expert_weights_scale(float(cfg["routed_scaling_factor"]))
    w.add_expert_weights_norm(bool(cfg["norm_topk_prob"]))
    sigmoid = glm or arch_key == "deepseek_v3"
    w.add_expert_gating_func(gguf.ExpertGatingFuncType.SIGMOID if sigmoid else gguf.ExpertGatingFuncType.SOFTMAX)
    if sigmoid:
        w.add_expert_group_count(cfg["n_group"])
        w.add_expert_group_used_count(cfg["topk_group"])
    if glm:
        hd = cfg["head_dim"]
        w.add_head_count_kv(cfg["num_key_value_heads"])
        w.add_key_length(hd)
        w.add_value_length(hd)
        w.add_rope_dimension_count(int(hd * rp.get("partial_rotary_factor", 1.0)))
    else:
        rank, rope, nope, v = cfg["kv_lora_rank"], cfg["qk_rope_head_dim"], cfg["qk_nope_head_dim"], cfg["v_head_dim"]
        if cfg.get("q_lora_rank"):
            w.add_q_lora_rank(cfg["q_lora_rank"])
        w.add_kv_lora_rank(rank)
        w.add_rope_dimension_count(rope)
        if split_kvb:  # MLA as MQA over the latent (llama.cpp since the kv_b split)
            w.add_head_count_kv(1)
            w.add_key_length(rank + rope)
            w.add_value_length(rank)
            w.add_key_length_mla(nope + rope)
            w.add_value_length_mla(v)
        else:
            w.add_head_count_kv(nh)
            w.add_key_length(nope + rope)
            w.add_value_length(v)
        if rp.get("rope_type") == "yarn":
            w.add_rope_scaling_type(gguf.RopeScalingType.YARN)
            w.add_rope_scaling_factor(float(rp["factor"]))
            w.add_rope_scaling_orig_ctx_len(int(rp["original_max_position_embeddings"]))
            w.add_rope_scaling_yarn_log_mul(0.1 * float(rp["mscale_all_dim"]))
    w.add_vocab_size(cfg["vocab_size"])
    w.add_bos_token_id(cfg["bos_token_id"])
    w.add_eos_token_id(cfg["eos_token_id"])
    twin = {}

    def held_of(a):
        a = np.ascontiguousarray(a, dtype=np.float32)
        if a.ndim == 1 or qtype == T.F32:
            return a, a
        if qtype == T.F16:
            h = a.astype(np.float16)
            return h, h
        q = gguf.quants.quantize(a, qtype)
        return q, gguf.quants.dequantize(q, qtype).astype(np.float32)

    def put(gname, hf, a):
        data, held = held_of(a)
        if qtype in (T.F32, T.F16) or np.ascontiguousarray(a).ndim == 1:
            w.add_tensor(gname, data)
        else:
            w.add_tensor(gname, data, raw_dtype=qtype)
        if isinstance(hf, str):
            twin[hf] = held
        else:
            for e, n in enumerate(hf):
                twin[n] = np.ascontiguousarray(held[e])

    put("token_embd.weight", "model.embed_tokens.weight", W["model.embed_tokens.weight"])
    put("output_norm.weight", "model.norm.weight", W["model.norm.weight"])
    put("output.weight", "lm_head.weight", W["lm_head.weight"])
    for i in range(L):
        p = f"model.layers.{i}."
        a = p + "self_attn."
        put(f"blk.{i}.attn_norm.weight", p + "input_layernorm.weight", W[p + "input_layernorm.weight"])
        put(f"blk.{i}.{'post_attention_norm' if glm else 'ffn_norm'}.weight", p + "post_attention_layernorm.weight",
            W[p + "post_attention_layernorm.weight"])
        if glm:
            for b in ("q", "k", "v"):
                put(f"blk.{i}.attn_{b}.weight", a + f"{b}_proj.weight", W[a + f"{b}_proj.weight"])
                put(f"blk.{i}.attn_{b}.bias", a + f"{b}_proj.bias", W[a + f"{b}_proj.bias"])
        else:
            if a + "q_a_proj.weight" in W:
                put(f"blk.{i}.attn_q_a.weight", a + "q_a_proj.weight", W[a + "q_a_proj.weight"])
                put(f"blk.{i}.attn_q_a_norm.weight", a + "q_a_layernorm.weight", W[a + "q_a_layernorm.weight"])
                put(f"blk.{i}.attn_q_b.weight", a + "q_b_proj.weight", W[a + "q_b_proj.weight"])
            else:
                put(f"blk.{i}.attn_q.weight", a + "q_proj.weight", W[a + "q_proj.weight"])
            put(f"blk.{i}.attn_kv_a_mqa.weight", a + "kv_a_proj_with_mqa.weight", W[a + "kv_a_proj_with_mqa.weight"])
            put(f"blk.{i}.attn_kv_a_norm.weight", a + "kv_a_layernorm.weight", W[a + "kv_a_layernorm.weight"])
            kvb = W[a + "kv_b_proj.weight"]
            if split_kvb:
                kv = kvb.reshape(nh, nope + v, rank)
                k_b = np.ascontiguousarray(kv[:, :nope, :].transpose(0, 2, 1))  # (heads, rank, nope)
                v_b = np.ascontiguousarray(kv[:, nope:, :])                      # (heads, v, rank)
                dk, hk = held_of(k_b)
                dv, hv = held_of(v_b)
                w.add_tensor(f"blk.{i}.attn_k_b.weight", dk)
                w.add_tensor(f"blk.{i}.attn_v_b.weight", dv)
                twin[a + "kv_b_proj.weight"] = np.concatenate([hk.astype(np.float32).transpose(0, 2, 1),
                                                               hv.astype(np.float32)], axis=1).reshape(nh * (nope + v), rank)
            else:
                put(f"blk.{i}.attn_kv_b.weight", a + "kv_b_proj.weight", kvb)
        put(f"blk.{i}.attn_output.weight", a + "o_proj.weight", W[a + "o_proj.weight"])
        m = p + "mlp."
        if m + "gate.weight" not in W:  # a leading dense block
            for ours in ("gate", "down", "up"):
                put(f"blk.{i}.ffn_{ours}.weight", m + f"{ours}_proj.weight", W[m + f"{ours}_proj.weight"])
            continue
        put(f"blk.{i}.ffn_gate_inp.weight", m + "gate.weight", W[m + "gate.weight"])
        if m + "gate.e_score_correction_bias" in W:
            put(f"blk.{i}.exp_probs_b.bias", m + "gate.e_score_correction_bias", W[m + "gate.e_score_correction_bias"])
        for ours in ("gate", "down", "up"):
            hf = [m + f"experts.{e}.{ours}_proj.weight" for e in range(E)]
            put(f"blk.{i}.ffn_{ours}_exps.weight", hf, np.stack([W[n] for n in hf]))
            put(f"blk.{i}.ffn_{ours}_shexp.weight", m + f"shared_experts.{ours}_proj.weight", W[m + f"shared_experts.{ours}_proj.weight"])
    for i in range(L, L + nextn):  # multi-token prediction: present in the file, not in the decoder
        w.add_tensor(f"blk.{i}.nextn.eh_proj.weight", np.zeros((H, 2 * H), dtype=np.float32))
        w.add_tensor(f"blk.{i}.nextn.enorm.weight", np.ones(H, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    if qtype != T.F32:
        (out / "twin").mkdir(exist_ok=True)
        tcfg = dict(cfg)
        if rp.get("rope_type") == "yarn" and not glm:
            # GGUF keeps only 0.1·mscale_all_dim (yarn_log_multiplier): llama.cpp's rope takes mscale = mscale_all_dim,
            # exact for every DeepSeek release (V2-Lite 0.707/0.707, V3 1/1); the twin says what the file can hold.
            tcfg["rope_parameters"] = dict(rp, mscale=rp["mscale_all_dim"])
        (out / "twin" / "config.json").write_text(json.dumps(tcfg, indent=2))
        save_file({k: np.ascontiguousarray(v) for k, v in twin.items()}, str(out / "twin" / "model.safetensors"))
    print("wrote", out, sorted(p.name for p in out.iterdir()))


def save_bf16(path, tensors):
    header, off, blobs = {}, 0, []
    for k, v in tensors.items():
        v = np.ascontiguousarray(v)
        dt = "BF16" if v.dtype == np.uint16 else "F32"
        header[k] = {"dtype": dt, "shape": list(v.shape), "data_offsets": [off, off + v.nbytes]}
        off += v.nbytes
        blobs.append(v.tobytes())
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(len(h).to_bytes(8, "little"))
        f.write(h)
        for b in blobs:
            f.write(b)


def write_metadata_fixture(out: Path):
    """metadata.gguf: one key of every GGUF value type, arrays (nested too), alignment 64, two small tensors."""
    from gguf import GGUFValueType as V
    w = gguf.GGUFWriter(out / "metadata.gguf", "test")
    w.add_uint8("t.u8", 200)
    w.add_int8("t.i8", -100)
    w.add_uint16("t.u16", 60000)
    w.add_int16("t.i16", -30000)
    w.add_uint32("t.u32", 4000000000)
    w.add_int32("t.i32", -2000000000)
    w.add_float32("t.f32", 1.5)
    w.add_uint64("t.u64", 2 ** 40)
    w.add_int64("t.i64", -(2 ** 40))
    w.add_float64("t.f64", 0.1)
    w.add_bool("t.bool", True)
    w.add_string("t.str", "héllo ✓")
    w.add_key_value("t.arr_i32", [1, -2, 3], V.ARRAY, V.INT32)
    w.add_key_value("t.arr_f32", [0.5, -0.25], V.ARRAY, V.FLOAT32)
    w.add_array("t.arr_str", ["a", "", "ünï"])
    w.add_key_value("t.arr_bool", [True, False], V.ARRAY, V.BOOL)
    w.add_array("t.arr_nested", [[1, 2], [3]])
    w.add_custom_alignment(64)
    w.add_tensor("a", np.arange(6, dtype=np.float32).reshape(2, 3))
    w.add_tensor("b", np.arange(64, dtype=np.float32).reshape(2, 32).astype(np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main(golden: Path, out: Path, only=None):
    if only:  # e.g. "deepseek2": only the fixtures whose name starts so (the others stay byte-identical)
        for name, args in MLA_FIXTURES.items():
            if name.startswith(only):
                write_mla(golden / args[0], out / name, *args)
        return
    write_metadata_fixture(out)
    write(golden / "mixtral", out / "mixtral-f32", "mixtral", T.F32, shards=2)
    write(golden / "qwen2_moe", out / "qwen2_moe-f16", "qwen2_moe", T.F16)
    write(golden / "olmoe", out / "olmoe-bf16", "olmoe", T.BF16)
    write(golden / "qwen3_moe", out / "qwen3_moe-q8_0", "qwen3_moe", T.Q8_0)
    for name, args in MLA_FIXTURES.items():
        write_mla(golden / args[0], out / name, *args)


MLA_FIXTURES = {
    "deepseek2-v2-f32": ("deepseek_v2", T.F32, False, 0),
    "deepseek2-v3-f16": ("deepseek_v3", T.F16, True, 1),
    "glm4moe-q8_0": ("glm4_moe", T.Q8_0, False, 1),
}

if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)
