"""YaRN reference: transformers' inverse frequencies and attention factor for the gpt-oss-20b and DeepSeek-V3 rope settings.

Usage: python3 make_rope_golden.py  (writes rope_ref.json; checked in as engine-java/src/test/resources/golden/rope/yarn.json)
"""
from transformers import GptOssConfig, DeepseekV3Config
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
out = {}
c = GptOssConfig(head_dim=64, hidden_size=2880, num_attention_heads=64, rope_parameters=dict(rope_type="yarn", rope_theta=150000.0, factor=32.0, beta_fast=32.0, beta_slow=1.0, truncate=False, original_max_position_embeddings=4096))
f, a = ROPE_INIT_FUNCTIONS["yarn"](c, None)
out["gpt_oss_20b"] = dict(inv_freq=f.tolist(), attention_factor=a)
c = DeepseekV3Config(qk_rope_head_dim=64, max_position_embeddings=163840, rope_parameters=dict(rope_type="yarn", rope_theta=10000.0, factor=40.0, beta_fast=32, beta_slow=1, mscale=1.0, mscale_all_dim=1.0, original_max_position_embeddings=4096))
f, a = ROPE_INIT_FUNCTIONS["yarn"](c, None)
out["deepseek_v3"] = dict(inv_freq=f.tolist(), attention_factor=a, dim=2*len(f))
json.dump(out, open("rope_ref.json","w"))
print(out["gpt_oss_20b"]["attention_factor"], out["deepseek_v3"]["attention_factor"], len(out["deepseek_v3"]["inv_freq"]))
