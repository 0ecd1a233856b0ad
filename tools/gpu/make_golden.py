"""Golden fixtures for the forward pass, made with Hugging Face transformers.

For each supported architecture: build a tiny random model from its config
(no download), save it as safetensors exactly as save_pretrained writes it,
run a fixed token sequence through it in float32 on the CPU and dump
logits, router top-k ids (rank order), router probabilities, hidden states
and a greedy continuation. Our Java engine must reproduce these numbers.

Usage: python3 make_golden.py OUT_DIR
Output: OUT_DIR/<arch>/{config.json, model.safetensors, golden.json}
"""
import json, os, sys, traceback
import torch
import transformers
from transformers import (MixtralConfig, MixtralForCausalLM, Qwen3MoeConfig, Qwen3MoeForCausalLM,
                          OlmoeConfig, OlmoeForCausalLM, Qwen2MoeConfig, Qwen2MoeForCausalLM)

COMMON = dict(vocab_size=256, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=128, rms_norm_eps=1e-6,
              initializer_range=0.2, tie_word_embeddings=False, rope_theta=10000.0,
              bos_token_id=1, eos_token_id=2, pad_token_id=0,
              attn_implementation="eager")
ARCHS = {
    "mixtral": (MixtralConfig, MixtralForCausalLM, dict(intermediate_size=32, num_local_experts=8,
                num_experts_per_tok=2, head_dim=16, sliding_window=None), torch.float32),
    "qwen3_moe": (Qwen3MoeConfig, Qwen3MoeForCausalLM, dict(intermediate_size=96, moe_intermediate_size=32,
                  num_experts=8, num_experts_per_tok=2, norm_topk_prob=True, head_dim=16,
                  decoder_sparse_step=1, mlp_only_layers=[]), torch.float32),
    "olmoe": (OlmoeConfig, OlmoeForCausalLM, dict(intermediate_size=32, num_experts=8, num_experts_per_tok=2,
              norm_topk_prob=False, clip_qkv=2.0), torch.float32),
    "qwen2_moe": (Qwen2MoeConfig, Qwen2MoeForCausalLM, dict(intermediate_size=96, moe_intermediate_size=32,
                  shared_expert_intermediate_size=48, num_experts=8, num_experts_per_tok=2,
                  norm_topk_prob=False, decoder_sparse_step=1, mlp_only_layers=[],
                  use_sliding_window=False), torch.bfloat16),
}
INPUT_IDS = [1, 17, 200, 45, 3, 99, 128, 7, 255, 64, 31]


def main(out):
    print("transformers", transformers.__version__, "torch", torch.__version__)
    for name, (cfg_cls, model_cls, extra, save_dtype) in ARCHS.items():
        try:
            run_arch(out, name, cfg_cls, model_cls, extra, save_dtype)
        except Exception:
            traceback.print_exc()


def run_arch(out, name, cfg_cls, model_cls, extra, save_dtype):
    torch.manual_seed(1234)
    cfg = cfg_cls(**COMMON, **extra)
    model = model_cls(cfg).to(torch.float32).eval()
    # Norm weights start at 1 and biases at 0: perturb them so the test sees them.
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "norm" in n:
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif n.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
    d = os.path.join(out, name)
    model.to(save_dtype).save_pretrained(d, safe_serialization=True)
    # Reference in float32 (the grouped expert matmul has no float64 kernel)
    # from exactly the saved values, on the CPU.
    model = model_cls.from_pretrained(d, dtype=torch.float32, attn_implementation="eager").eval()
    routers = {}
    hooks = []
    layers = model.model.layers
    for li, layer in enumerate(layers):
        mlp = getattr(layer, "mlp", None) or getattr(layer, "block_sparse_moe")
        gate = mlp.gate
        def hook(mod, inp, li=li):
            x = inp[0].reshape(-1, inp[0].shape[-1])
            routers.setdefault(li, []).append((x @ mod.weight.T).detach())
        hooks.append(gate.register_forward_pre_hook(hook))
    ids = torch.tensor([INPUT_IDS])
    with torch.no_grad():
        o = model(input_ids=ids, output_hidden_states=True)
    k = cfg.num_experts_per_tok
    topk, probs = [], []
    for li in range(len(layers)):
        logits = routers[li][0]
        p = torch.softmax(logits, dim=-1)
        w, i = torch.topk(p, k, dim=-1)
        topk.append(i.tolist())
        probs.append(p.tolist())
    for h in hooks:
        h.remove()
    with torch.no_grad():
        g = model.generate(ids, max_new_tokens=8, do_sample=False)
    golden = dict(arch=name, transformers=transformers.__version__, input_ids=INPUT_IDS,
                  logits=o.logits[0].tolist(), router_topk=topk, router_probs=probs,
                  hidden_states=[h[0].tolist() for h in o.hidden_states],
                  greedy=g[0, len(INPUT_IDS):].tolist(), compute_dtype="float32",
                  saved_dtype=str(save_dtype))
    with open(os.path.join(d, "golden.json"), "w") as f:
        json.dump(golden, f)
    from safetensors import safe_open
    with safe_open(os.path.join(d, "model.safetensors"), "pt") as f:
        print(name, "tensors:", {k2: (tuple(f.get_slice(k2).get_shape()), f.get_slice(k2).get_dtype()) for k2 in f.keys()})
    print(name, "config:", open(os.path.join(d, "config.json")).read())
    print(name, "greedy", golden["greedy"], "topk L0", topk[0][:4])


if __name__ == "__main__":
    main(sys.argv[1])
