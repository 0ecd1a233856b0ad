#!/usr/bin/env python3
"""A tiny Qwen3-MoE written as GGUF with K-quant experts, and its logits from Hugging Face transformers.

The experts are stored the way llama.cpp's Q4_K_M files store them, types differing per layer:
  layer 0: ffn_gate_exps, ffn_up_exps Q4_K, ffn_down_exps Q6_K
  layer 1: ffn_gate_exps, ffn_up_exps Q5_K, ffn_down_exps Q8_0
(K-quants need rows of 256: hidden = moe_intermediate = 256). The `gguf` package has no K-quant
quantizer, so the K-quant blocks are random bytes with realistic f16 scales (as make_fixtures.py
makes them); Q8_0 comes from gguf.quants.quantize. Every other 2-D weight is Q8_0, norms F32.
The reference model is transformers' Qwen3MoeForCausalLM holding exactly the values the `gguf`
package's numpy dequantizers make of those bytes; golden.json keeps its float32 logits on a fixed
token sequence. Strata packs the GGUF file keeping the expert bytes and must give these logits.

    pip install gguf==0.19.0 numpy torch==2.13.0+cpu transformers
    python3 tools/gguf-fixtures/make_kquant_gguf.py engine-java/src/test/resources/gguf/qwen3_moe-q4_k_m

Writes OUT/model.gguf and OUT/golden.json (input_ids, logits, the types of the expert tensors).
"""
import json
import sys
from pathlib import Path

import gguf
import numpy as np
import torch
import transformers
from gguf import GGMLQuantizationType as T
from gguf.constants import GGML_QUANT_SIZES
from transformers import Qwen3MoeConfig, Qwen3MoeForCausalLM

INPUT_IDS = [1, 17, 200, 45, 3, 99, 128, 7, 255, 64, 31]
H, I, E, L = 256, 256, 4, 2
EXPERT_TYPES = [(T.Q4_K, T.Q4_K, T.Q6_K), (T.Q5_K, T.Q5_K, T.Q8_0)]
# Byte offsets of the f16 scale fields inside one block (d, dmin; Q6_K's d is last).
HALF_FIELDS = {T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}


def random_blocks(t, rows, cols, rng):
    """rows x cols weights of type t as raw ggml blocks (uint8, shape (rows, bytes per row))."""
    block, size = GGML_QUANT_SIZES[t]
    if t == T.Q8_0:
        return gguf.quants.quantize(rng.standard_normal((rows, cols)).astype(np.float32) * 0.05, t)
    raw = rng.integers(0, 256, size=(rows * cols // block, size), dtype=np.uint8)
    for off in HALF_FIELDS[t]:
        # scales of real K-quant weights of magnitude ~0.05: d ~ 1e-3 (times 6-bit sub-scales), dmin alike
        h = (10.0 ** rng.uniform(-3.6, -3.0, raw.shape[0])).astype("<f2")
        raw[:, off:off + 2] = h.view(np.uint8).reshape(-1, 2)
    return raw.reshape(rows, -1)


def main(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1616)
    torch.manual_seed(1616)
    cfg = Qwen3MoeConfig(vocab_size=256, hidden_size=H, num_hidden_layers=L, num_attention_heads=4, num_key_value_heads=2,
                         head_dim=32, intermediate_size=I, moe_intermediate_size=I, num_experts=E, num_experts_per_tok=2,
                         norm_topk_prob=True, decoder_sparse_step=1, mlp_only_layers=[], max_position_embeddings=128,
                         rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2,
                         pad_token_id=0, attn_implementation="eager")
    model = Qwen3MoeForCausalLM(cfg).to(torch.float32).eval()
    sd = model.state_dict()

    w = gguf.GGUFWriter(out / "model.gguf", "qwen3moe")
    w.add_name("strata-tiny-qwen3_moe-q4_k_m")
    w.add_context_length(128)
    w.add_embedding_length(H)
    w.add_block_count(L)
    w.add_feed_forward_length(I)
    w.add_head_count(4)
    w.add_head_count_kv(2)
    w.add_key_length(32)
    w.add_value_length(32)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_expert_count(E)
    w.add_expert_used_count(2)
    w.add_expert_feed_forward_length(I)
    w.add_vocab_size(256)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)

    def dense(gname, hf, perturb_norm=False):
        """A non-expert tensor: 2-D as Q8_0, 1-D as F32; the model gets exactly what the file holds."""
        a = sd[hf].float().numpy()
        if a.ndim == 1:
            a = (1 + 0.1 * rng.standard_normal(a.shape)).astype(np.float32) if perturb_norm else a.astype(np.float32)
            w.add_tensor(gname, a)
            held = a
        else:
            q = gguf.quants.quantize(a.astype(np.float32), T.Q8_0)
            w.add_tensor(gname, q, raw_dtype=T.Q8_0)
            held = gguf.quants.dequantize(q, T.Q8_0).astype(np.float32)
        sd[hf].copy_(torch.from_numpy(held.reshape(sd[hf].shape)))

    dense("token_embd.weight", "model.embed_tokens.weight")
    dense("output_norm.weight", "model.norm.weight", True)
    dense("output.weight", "lm_head.weight")
    for i in range(L):
        p = f"model.layers.{i}."
        dense(f"blk.{i}.attn_norm.weight", p + "input_layernorm.weight", True)
        dense(f"blk.{i}.ffn_norm.weight", p + "post_attention_layernorm.weight", True)
        for b in ("q", "k", "v"):
            dense(f"blk.{i}.attn_{b}.weight", p + f"self_attn.{b}_proj.weight")
        dense(f"blk.{i}.attn_output.weight", p + "self_attn.o_proj.weight")
        dense(f"blk.{i}.attn_q_norm.weight", p + "self_attn.q_norm.weight", True)
        dense(f"blk.{i}.attn_k_norm.weight", p + "self_attn.k_norm.weight", True)
        dense(f"blk.{i}.ffn_gate_inp.weight", p + "mlp.gate.weight")
        held = {}
        for part, t, rows, cols in (("gate", EXPERT_TYPES[i][0], I, H), ("up", EXPERT_TYPES[i][1], I, H), ("down", EXPERT_TYPES[i][2], H, I)):
            raw = np.stack([random_blocks(t, rows, cols, rng) for _ in range(E)])  # (E, rows, bytes per row)
            w.add_tensor(f"blk.{i}.ffn_{part}_exps.weight", raw, raw_dtype=t)
            held[part] = np.stack([gguf.quants.dequantize(raw[e], t).astype(np.float32) for e in range(E)])  # (E, rows, cols)
        # transformers 5 keeps the experts fused: gate_up_proj (E, 2I, H) = [gate; up], down_proj (E, H, I)
        sd[p + "mlp.experts.gate_up_proj"].copy_(torch.from_numpy(np.concatenate([held["gate"], held["up"]], axis=1)))
        sd[p + "mlp.experts.down_proj"].copy_(torch.from_numpy(held["down"]))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    model.load_state_dict(sd)
    with torch.no_grad():
        logits = model(torch.tensor([INPUT_IDS])).logits[0]
    golden = dict(transformers=transformers.__version__, gguf=gguf.__version__ if hasattr(gguf, "__version__") else "0.19.0",
                  input_ids=INPUT_IDS, logits=logits.tolist(),
                  expert_types=[[t.name for t in ts] for ts in EXPERT_TYPES])
    (out / "golden.json").write_text(json.dumps(golden) + "\n")
    print("wrote", out, sorted(p.name for p in out.iterdir()), "logit range", float(logits.min()), float(logits.max()))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
