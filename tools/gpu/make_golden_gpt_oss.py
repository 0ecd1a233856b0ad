"""Golden fixtures for gpt-oss (model_type gpt_oss), made with Hugging Face transformers.

A tiny random GptOssForCausalLM with the features of the real 20b/120b configs: attention
biases and sinks, sliding-window attention on alternating layers (layer_types), YaRN RoPE
(factor 32, beta 32/1, truncate false, original context 4096), a biased router with softmax
over the top-k logits, experts with biases and the clamped SwiGLU (alpha 1.702, limit 7) over
interleaved gate/up rows.

Expert weights are quantized to MXFP4 with the gguf package's reference quantizer (llama.cpp's
MXFP4.quantize_blocks: e8m0 scale per 32-element block, e2m1 values), and every other weight is
rounded to bf16, so two checkpoints hold exactly the same numbers:
  gpt_oss/       the dequantized model as transformers saves it (bf16; gate_up_proj (E, hidden, 2I)
                 with gate and up interleaved on the last axis, down_proj (E, I, hidden), biases)
  gpt_oss_mxfp4/ the same weights as the real releases ship them: experts as *_blocks (E, rows, cols/32,
                 16) uint8 (two e2m1 codes a byte, element 2i in the low nibble) and *_scales (E, rows,
                 cols/32) uint8 (e8m0, bias 127), rows/cols of the un-transposed (out, in) matrix;
                 quantization_config {quant_method: mxfp4}
The golden (float32, CPU, eager attention) is computed from the dequantized weights, and the
MXFP4 folder is loaded back through transformers' own MXFP4 dequantizer to check that both give
the same logits before anything is written.

Usage: python3 make_golden_gpt_oss.py OUT_DIR   (writes OUT_DIR/gpt_oss and OUT_DIR/gpt_oss_mxfp4)
"""
import json, os, shutil, sys
import numpy as np
import torch
import transformers
from transformers import GptOssConfig, GptOssForCausalLM
from safetensors.torch import save_file, load_file
from gguf.quants import MXFP4

INPUT_IDS = [1, 17, 200, 45, 3, 99, 128, 7, 255, 64, 31]
CONFIG = dict(vocab_size=256, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
              head_dim=16, intermediate_size=32, num_local_experts=8, num_experts_per_tok=4,
              max_position_embeddings=131072, rms_norm_eps=1e-5, initializer_range=0.2, tie_word_embeddings=False,
              sliding_window=4, layer_types=["sliding_attention", "full_attention"], attention_bias=True,
              rope_parameters=dict(rope_type="yarn", rope_theta=150000.0, factor=32.0, beta_fast=32.0, beta_slow=1.0,
                                   truncate=False, original_max_position_embeddings=4096),
              bos_token_id=1, eos_token_id=2, pad_token_id=0, attn_implementation="eager")


def mxfp4_quantize(w):
    """w (E, rows, cols) float32 -> (blocks (E, rows, cols/32, 16) uint8, scales (E, rows, cols/32) uint8,
    dequantized (E, rows, cols) float32), through gguf's reference MXFP4 quantizer."""
    E, R, C = w.shape
    flat = w.reshape(-1, 32).numpy().astype(np.float32)
    q = MXFP4.quantize_blocks(flat)                # (n, 17): e8m0 byte, 16 bytes (low nibbles elements 0..15)
    deq = MXFP4.dequantize_blocks(q)               # (n, 32) float32
    e = q[:, 0]
    codes = np.concatenate([q[:, 1:] & 0x0F, q[:, 1:] >> 4], axis=1)  # (n, 32) e2m1 codes in element order
    # The checkpoint packs neighbours: byte i = element 2i (low nibble) | element 2i+1 (high nibble).
    hf = (codes[:, 0::2] | (codes[:, 1::2] << 4)).astype(np.uint8)
    # ggml's e8m0 "half" scale times the doubled e2m1 value equals 2^(e-127) times the e2m1 value.
    return (torch.from_numpy(hf.reshape(E, R, C // 32, 16)), torch.from_numpy(e.reshape(E, R, C // 32).astype(np.uint8)),
            torch.from_numpy(deq.reshape(E, R, C)))


def main(out):
    print("transformers", transformers.__version__, "torch", torch.__version__)
    torch.manual_seed(1234)
    cfg = GptOssConfig(**CONFIG)
    model = GptOssForCausalLM(cfg).to(torch.float32).eval()
    mx = {}
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "norm" in n:
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif n.endswith("bias") or n.endswith("sinks"):
                p.copy_(0.5 * torch.randn_like(p))
        for li, layer in enumerate(model.model.layers):
            ex = layer.mlp.experts
            # transformers holds the experts transposed (in, out); the checkpoint quantizes the (out, in) matrix.
            for name in ("gate_up_proj", "down_proj"):
                w = getattr(ex, name).data.transpose(1, 2).contiguous()
                blocks, scales, deq = mxfp4_quantize(w)
                getattr(ex, name).copy_(deq.transpose(1, 2))
                mx[f"model.layers.{li}.mlp.experts.{name}_blocks"] = blocks
                mx[f"model.layers.{li}.mlp.experts.{name}_scales"] = scales
        for n, p in model.named_parameters():
            if "experts.gate_up_proj" not in n and "experts.down_proj" not in n or n.endswith("bias"):
                p.copy_(p.to(torch.bfloat16).to(torch.float32))
    d = os.path.join(out, "gpt_oss")
    model.to(torch.bfloat16).save_pretrained(d, safe_serialization=True)
    model = GptOssForCausalLM.from_pretrained(d, dtype=torch.float32, attn_implementation="eager").eval()
    # The MXFP4 twin: every tensor of the saved checkpoint except the two expert matrices per layer.
    m = os.path.join(out, "gpt_oss_mxfp4")
    os.makedirs(m, exist_ok=True)
    saved = load_file(os.path.join(d, "model.safetensors"))
    tensors = {k: v for k, v in saved.items() if not (k.endswith("experts.gate_up_proj") or k.endswith("experts.down_proj"))}
    tensors.update(mx)
    save_file(tensors, os.path.join(m, "model.safetensors"), metadata={"format": "pt"})
    c = json.load(open(os.path.join(d, "config.json")))
    # Written as the real releases' config.json is (transformers 4.55): rope_theta and rope_scaling at the top
    # level, swiglu_limit and experts_per_token beside the transformers names; the dequantized folder keeps
    # the newer rope_parameters form, so the reader is tested on both.
    rp = c.pop("rope_parameters")
    c["rope_theta"] = rp.pop("rope_theta")
    c["rope_scaling"] = rp
    c["swiglu_limit"] = 7.0
    c["experts_per_token"] = c["num_experts_per_tok"]
    c["initial_context_length"] = rp["original_max_position_embeddings"]
    c["quantization_config"] = {"quant_method": "mxfp4", "modules_to_not_convert": [
        "model.layers.*.self_attn", "model.layers.*.mlp.router", "model.embed_tokens", "lm_head"]}
    json.dump(c, open(os.path.join(m, "config.json"), "w"), indent=2)
    shutil.copy(os.path.join(d, "generation_config.json"), m) if os.path.exists(os.path.join(d, "generation_config.json")) else None

    routers = {}
    hooks = []
    for li, layer in enumerate(model.model.layers):
        def hook(mod, inp, out, li=li):
            routers.setdefault(li, []).append(out[0].detach())  # router logits (tokens, experts), bias included
        hooks.append(layer.mlp.router.register_forward_hook(hook))
    ids = torch.tensor([INPUT_IDS])
    with torch.no_grad():
        o = model(input_ids=ids, output_hidden_states=True)
    k = cfg.num_experts_per_tok
    topk, weights = [], []
    for li in range(cfg.num_hidden_layers):
        v, i = torch.topk(routers[li][0], k, dim=-1)
        topk.append(i.tolist())
        weights.append(torch.softmax(v, dim=-1).tolist())
    for h in hooks:
        h.remove()
    with torch.no_grad():
        g = model.generate(ids, max_new_tokens=8, do_sample=False)

    # The MXFP4 folder through transformers' own MXFP4 dequantizer must give the same logits.
    q = GptOssForCausalLM.from_pretrained(m, dtype=torch.float32, attn_implementation="eager",
                                          quantization_config=transformers.Mxfp4Config(dequantize=True)).eval()
    q = q.to(torch.float32)  # the dequantizer leaves the experts in bf16; compare in float32
    with torch.no_grad():
        o2 = q(input_ids=ids)
    diff = (o2.logits - o.logits).abs().max().item()
    print("mxfp4 twin vs dequantized: max |logits diff|", diff)
    assert diff < 1e-5, diff

    golden = dict(arch="gpt_oss", transformers=transformers.__version__, input_ids=INPUT_IDS,
                  logits=o.logits[0].tolist(), router_topk=topk, router_weights=weights,
                  hidden_states=[h[0].tolist() for h in o.hidden_states],
                  greedy=g[0, len(INPUT_IDS):].tolist(), compute_dtype="float32", saved_dtype="bfloat16+mxfp4")
    for folder in (d, m):
        with open(os.path.join(folder, "golden.json"), "w") as f:
            json.dump(golden, f)
    from safetensors import safe_open
    for folder in (d, m):
        with safe_open(os.path.join(folder, "model.safetensors"), "pt") as f:
            print(folder, {k2: (tuple(f.get_slice(k2).get_shape()), f.get_slice(k2).get_dtype()) for k2 in f.keys() if "layers.0." in k2 or "layers" not in k2})
    print("config:", open(os.path.join(d, "config.json")).read())
    print("greedy", golden["greedy"], "topk L0", topk[0][:4])


if __name__ == "__main__":
    main(sys.argv[1])
