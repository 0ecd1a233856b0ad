"""Golden fixtures for DeepSeek-V2/V3 and GLM-4.5 shaped models, made with Hugging Face transformers.

Sibling of make_golden.py for the families whose router is not a plain softmax top-k (sigmoid
scoring, e_score_correction_bias, group-limited top-k, routed_scaling_factor) and whose first
layers are dense: the router top-k is taken from the router module itself (its chosen ids, put
in rank order of the score it chose by), and only MoE layers have one ("router_layers").

  deepseek_v2  DeepSeek-V2-Lite shaped: MLA without q LoRA, softmax greedy top-k,
               first_k_dense_replace=1, two shared experts, YaRN (mscale = mscale_all_dim).
  deepseek_v3  DeepSeek-V3 shaped: MLA with q LoRA, sigmoid + e_score_correction_bias,
               n_group=4 / topk_group=2, norm_topk_prob, routed_scaling_factor 2.5, YaRN with
               mscale != mscale_all_dim (so the cos/sin attention factor is not 1).
  glm4_moe     GLM-4.5 shaped: GQA with partial RoPE (factor 0.5), attention bias, V3 routing
               (n_group=2 / topk_group=1 here), one shared expert, first_k_dense_replace=1.

Float32, eager attention, CPU. Usage: python3 make_golden_mla.py OUT_DIR
Output: OUT_DIR/<arch>/{config.json, model.safetensors, golden.json}, each well under 1 MB.
"""
import json, os, sys
import torch
import transformers
from transformers import (DeepseekV2Config, DeepseekV2ForCausalLM, DeepseekV3Config, DeepseekV3ForCausalLM,
                          Glm4MoeConfig, Glm4MoeForCausalLM)

COMMON = dict(vocab_size=256, hidden_size=64, num_hidden_layers=3, num_attention_heads=4,
              max_position_embeddings=128, rms_norm_eps=1e-6, initializer_range=0.2,
              tie_word_embeddings=False, bos_token_id=1, eos_token_id=2, pad_token_id=0,
              attn_implementation="eager")
MLA = dict(num_key_value_heads=4, kv_lora_rank=32, qk_nope_head_dim=16, qk_rope_head_dim=8, v_head_dim=12,
           intermediate_size=96, moe_intermediate_size=32, first_k_dense_replace=1)
ARCHS = {
    "deepseek_v2": (DeepseekV2Config, DeepseekV2ForCausalLM, dict(
        MLA, q_lora_rank=None, n_routed_experts=8, n_shared_experts=2, num_experts_per_tok=3,
        topk_method="greedy", n_group=1, topk_group=1, routed_scaling_factor=1.0, norm_topk_prob=False,
        rope_parameters=dict(rope_type="yarn", rope_theta=10000.0, factor=8.0, original_max_position_embeddings=16,
                             beta_fast=32, beta_slow=1, mscale=0.707, mscale_all_dim=0.707))),
    "deepseek_v3": (DeepseekV3Config, DeepseekV3ForCausalLM, dict(
        MLA, q_lora_rank=24, n_routed_experts=16, n_shared_experts=1, num_experts_per_tok=4,
        n_group=4, topk_group=2, routed_scaling_factor=2.5, norm_topk_prob=True, rope_interleave=True,
        rope_parameters=dict(rope_type="yarn", rope_theta=10000.0, factor=4.0, original_max_position_embeddings=32,
                             beta_fast=32, beta_slow=1, mscale=1.0, mscale_all_dim=0.8))),
    "glm4_moe": (Glm4MoeConfig, Glm4MoeForCausalLM, dict(
        num_key_value_heads=2, head_dim=16, intermediate_size=96, moe_intermediate_size=32,
        n_routed_experts=8, n_shared_experts=1, num_experts_per_tok=2, n_group=2, topk_group=1,
        routed_scaling_factor=2.5, norm_topk_prob=True, first_k_dense_replace=1, attention_bias=True,
        use_qk_norm=False,
        rope_parameters=dict(rope_type="default", rope_theta=10000.0, partial_rotary_factor=0.5))),
}
INPUT_IDS = [1, 17, 200, 45, 3, 99, 128, 7, 255, 64, 31]


def route_ranked(gate, x, idx):
    """The ids idx (rows, k) the router module chose for the rows of x, in rank order of the score it chose by."""
    logits = torch.nn.functional.linear(x.float(), gate.weight.float())
    if hasattr(gate, "e_score_correction_bias"):
        choice = logits.sigmoid() + gate.e_score_correction_bias
    else:
        choice = logits.softmax(dim=-1)
    key = choice.gather(1, idx)
    order = torch.sort(key, dim=-1, descending=True, stable=True).indices
    return idx.gather(1, order), logits


# deepseek_v3 is saved in bfloat16 (as the release ships) to stay under 1 MB; the reference runs in float32 from the
# saved values. moe_intermediate_size 32: the smallest the group-quantized codecs (groups of 32) take.
SAVE_DTYPE = {"deepseek_v3": torch.bfloat16}


def run_arch(out, name, cfg_cls, model_cls, extra):
    torch.manual_seed(1234)
    cfg = cfg_cls(**COMMON, **extra)
    model = model_cls(cfg).to(torch.float32).eval()
    # Norm weights start at 1, biases and the correction bias at 0: perturb them so the test sees them.
    with torch.no_grad():
        for n, p in list(model.named_parameters()) + list(model.named_buffers()):
            if "norm" in n and n.endswith("weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif n.endswith("bias") and "e_score_correction" not in n:
                p.copy_(0.1 * torch.randn_like(p))
            elif n.endswith("e_score_correction_bias"):
                p.copy_(0.3 * torch.randn_like(p))
    d = os.path.join(out, name)
    save_dtype = SAVE_DTYPE.get(name, torch.float32)
    model.to(save_dtype).save_pretrained(d, safe_serialization=True)
    model = model_cls.from_pretrained(d, dtype=torch.float32, attn_implementation="eager").eval()
    routers, hooks = {}, []
    for li, layer in enumerate(model.model.layers):
        gate = getattr(layer.mlp, "gate", None)
        if not isinstance(gate, torch.nn.Module) or not hasattr(gate, "top_k"):
            continue  # a dense layer (its gate is gate_proj)
        def hook(mod, inp, outp, li=li):
            x = inp[0].reshape(-1, inp[0].shape[-1])
            routers.setdefault(li, route_ranked(mod, x, outp[2]))
        hooks.append(gate.register_forward_hook(hook))
    ids = torch.tensor([INPUT_IDS])
    with torch.no_grad():
        o = model(input_ids=ids, output_hidden_states=True)
    for h in hooks:
        h.remove()
    layers = sorted(routers)
    with torch.no_grad():
        g = model.generate(ids, max_new_tokens=8, do_sample=False)
    golden = dict(arch=name, transformers=transformers.__version__, input_ids=INPUT_IDS,
                  logits=o.logits[0].tolist(), router_layers=layers,
                  router_topk=[routers[li][0].tolist() for li in layers],
                  hidden_states=[h[0].tolist() for h in o.hidden_states],
                  greedy=g[0, len(INPUT_IDS):].tolist(), compute_dtype="float32", saved_dtype=str(save_dtype))
    with open(os.path.join(d, "golden.json"), "w") as f:
        json.dump(golden, f)
    from safetensors import safe_open
    with safe_open(os.path.join(d, "model.safetensors"), "pt") as f:
        print(name, "tensors:", {k: tuple(f.get_slice(k).get_shape()) for k in f.keys() if ".1." in k or "layers" not in k})
    print(name, "config:", open(os.path.join(d, "config.json")).read())
    print(name, "greedy", golden["greedy"], "router layers", layers, "topk", golden["router_topk"][0][:3])


if __name__ == "__main__":
    print("transformers", transformers.__version__, "torch", torch.__version__)
    for arch in (sys.argv[2:] or ARCHS):
        run_arch(sys.argv[1], arch, *ARCHS[arch])
