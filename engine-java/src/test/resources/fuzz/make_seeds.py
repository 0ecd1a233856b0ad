#!/usr/bin/env python3
"""Writes the small seed inputs of the parser fuzz targets (io.strata.engine.fuzz) from the real files of the repo
and of ../shared/data (when present). Run from the repository root: python3 engine-java/src/test/resources/fuzz/make_seeds.py
The codec seeds come from ParserFuzzTest.writeCodecSeeds (-Dstrata.fuzz.writeSeeds=true), which needs the real codec layouts."""
import json, os, struct, sys

ROOT = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(ROOT, "../../../../.."))
SHARED = os.path.abspath(os.path.join(REPO, "../shared/data"))


def put(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data)


def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, bytes)."""
    header, blobs, off = {}, b"", 0
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(data)]}
        blobs += data
        off += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + blobs


# safetensors: small shards shaped like the tiny model's (names and dtypes from its real header)
with open(os.path.join(REPO, "models/tiny-moe/model.safetensors"), "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    real = json.loads(f.read(n))
names = [k for k in real if k != "__metadata__"][:3]
put("safetensors", "seed-tiny-moe-names", safetensors(
    [(k, "BF16", [2, 4], bytes(range(16))) for k in names], {"format": "pt"}))
put("safetensors", "seed-dtypes", safetensors(
    [("a", "F32", [3], struct.pack("<3f", 1, 2, 3)), ("b", "F16", [2, 2], bytes(8)), ("c", "I64", [1], bytes(8)),
     ("d", "U8", [0], b"")]))
put("safetensors", "seed-empty-header", safetensors([]))

# config.json: the tiny model's, and the same shape for each supported architecture
cfg = json.load(open(os.path.join(REPO, "models/tiny-moe/config.json")))
put("config", "seed-tiny-moe.json", json.dumps(cfg, indent=1))
small = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
         "vocab_size": 100, "num_experts_per_tok": 2, "rms_norm_eps": 1e-6, "rope_theta": 1e6}
put("config", "seed-olmoe.json", json.dumps(dict(small, model_type="olmoe", num_experts=4, intermediate_size=32,
                                                 clip_qkv=8.0, eos_token_id=[1, 2])))
put("config", "seed-qwen3-moe.json", json.dumps(dict(small, model_type="qwen3_moe", num_experts=4, moe_intermediate_size=16,
                                                     head_dim=16, decoder_sparse_step=1, mlp_only_layers=[1])))
put("config", "seed-qwen2-moe.json", json.dumps(dict(small, model_type="qwen2_moe", num_experts=4, moe_intermediate_size=16,
                                                     shared_expert_intermediate_size=32, rope_scaling={"type": "default"})))

# manifest.json over StoreManifestTarget's fixed blobs: 1 layer x 2 experts of 4 KiB, one dense tensor of 4 KiB
def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF

experts = bytes((i * 31 + 7) & 0xFF for i in range(2 * 4096))
dense = bytes((i * 17 + 3) & 0xFF for i in range(4096))
ents = []
for e in range(2):
    region = experts[e * 4096:(e + 1) * 4096]
    ents.append({"layer": 0, "expert": e, "file": "experts-000.bin", "offset": e * 4096, "length": 4096,
                 "crc32c": crc32c(region), "matrices": [
                     {"name": "gate", "dtype": "F32", "shape": [4, 8], "offset": 0, "length": 128, "crc32c": crc32c(region[:128])},
                     {"name": "blob", "dtype": "U8", "shape": [64], "offset": 128, "length": 64, "crc32c": crc32c(region[128:192])}]})
man = {"format": "strata-store", "version": 1, "model": {"model_type": "mixtral"}, "codec": "dense", "dtype": "F32",
       "num_layers": 1, "num_experts": 2, "alignment": 4096, "shapes": {"gate": [4, 8]}, "experts": ents,
       "dense": [{"name": "model.norm.weight", "dtype": "F32", "shape": [1024], "file": "dense.bin", "offset": 0,
                  "length": 4096, "crc32c": crc32c(dense)}]}
put("manifest", "seed-valid.json", json.dumps(man, indent=1))
put("manifest", "seed-bad-crc.json", json.dumps(dict(man, experts=[dict(ents[0], crc32c=1), ents[1]])))

# traces: the heads of the real traces
def head(path, n):
    with open(path, encoding="utf-8") as f:
        return "".join(f.readline() for _ in range(n))

put("trace", "seed-tiny-moe.jsonl", head(os.path.join(REPO, "models/tiny-moe/traces/hacker-lore.jsonl"), 13))
put("trace", "seed-mixtral.txt", "0,1,2,3\n0,1,2,3\n1,3\n0,2\n2,3\n0,1\n")
if os.path.isdir(SHARED):
    put("trace", "seed-flame.jsonl", head(os.path.join(SHARED, "traces/flame-moe-290m-dynande.jsonl"), 9))
    lines = head(os.path.join(SHARED, "traces/mixtral-8x7b-instruct.active_experts.txt"), 70).splitlines()
    put("trace", "seed-mixtral-real.txt", "\n".join(lines[30:36]) + "\n")

# tokenizer.json: each real tokenizer cut down to a small vocabulary (the merges among it, its own components)
def small_tokenizer(path, keep=160):
    t = json.load(open(path, encoding="utf-8"))
    m = t["model"]
    if m.get("type") != "BPE":
        return None
    vocab = dict(sorted(m["vocab"].items(), key=lambda kv: kv[1])[:keep])
    merges = []
    for mg in m.get("merges", []):
        a, b = mg.split(" ", 1) if isinstance(mg, str) else mg
        if a in vocab and b in vocab and (a + b) in vocab:
            merges.append(mg)
    m = dict(m, vocab=vocab, merges=merges[:200])
    added = [dict(a, id=keep + i) for i, a in enumerate(t.get("added_tokens") or [])][:4]
    out = dict(t, model=m, added_tokens=added)
    pp = out.get("post_processor")
    if pp and pp.get("type") == "TemplateProcessing":
        out["post_processor"] = None
    return json.dumps(out, ensure_ascii=False)

put("tokenizer", "seed-tiny-moe.json", small_tokenizer(os.path.join(REPO, "models/tiny-moe/tokenizer.json")))
if os.path.isdir(SHARED):
    for name in ["qwen3", "gpt-oss", "mistral-spm-32k"]:
        s = small_tokenizer(os.path.join(SHARED, "tokenizers", name, "tokenizer.json"))
        if s:
            put("tokenizer", "seed-" + name + ".json", s)

# chat templates: first byte 0 = tokenizer_config.json follows, 1 = chat_template.jinja follows
CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
MISTRAL = ("{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}[INST] {{ m['content'] }} [/INST]"
           "{% elif m['role'] == 'assistant' %}{{ m['content'] }}{{ eos_token }}{% else %}"
           "{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}")
put("chat-template", "seed-chatml.jinja", b"\x01" + CHATML.encode())
put("chat-template", "seed-mistral-raises.jinja", b"\x01" + MISTRAL.encode())
put("chat-template", "seed-config-string.json", b"\x00" + json.dumps({"bos_token": "<s>", "eos_token": {"content": "</s>"},
                                                                         "chat_template": CHATML}).encode())
put("chat-template", "seed-config-list.json", b"\x00" + json.dumps({"chat_template": [{"name": "default", "template": CHATML},
                                                                                       {"name": "tool_use", "template": "x"}]}).encode())
if os.path.isdir(SHARED):
    q = json.load(open(os.path.join(SHARED, "tokenizers/qwen3/tokenizer_config.json"), encoding="utf-8"))
    put("chat-template", "seed-qwen3.jinja", b"\x01" + q["chat_template"].encode())
print("seeds written under", ROOT)
