"""Trains the small MoE language model that Strata ships (models/tiny-moe).

A Mixtral-architecture model (6 layers, 8 experts, top-2, tied embeddings)
with the Mistral 32k SentencePiece-BPE tokenizer, trained on the freely
licensed Debian text built by tools/corpus/build_corpus.sh (five genres:
scripture, English/German/Spanish quotes, hacker lore), so the experts have
something to specialise on.

Usage: python3 train_tiny_moe.py CORPUS_DIR TOKENIZER_DIR OUT_DIR SECONDS
Writes OUT_DIR/model (checkpoint), OUT_DIR/report.json (losses, routing
entropy, samples), OUT_DIR/golden-greedy.json and OUT_DIR/traces/*.jsonl.
"""
import glob, json, math, os, random, shutil, sys, time
import torch
import transformers
from tokenizers import Tokenizer
from transformers import MixtralConfig, MixtralForCausalLM

corpus_dir, tok_dir, out, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
torch.manual_seed(0); random.seed(0)
dev = "cuda"
tok = Tokenizer.from_file(os.path.join(tok_dir, "tokenizer.json"))
BOS, EOS = 1, 2
SEQ = 256

def clean(s):
    return "".join(c for c in s if c == "\n" or c == "\t" or ord(c) >= 32)

genres, train, val = [], {}, {}
t0 = time.time()
for path in sorted(glob.glob(os.path.join(corpus_dir, "*.txt"))):
    g = os.path.basename(path)[:-4]
    text = clean(open(path, encoding="utf-8", errors="replace").read())
    docs = [d.strip() for d in text.split("\n\n") if d.strip()]
    if g == "scripture":  # one verse a line: group 8 verses a document
        lines = [l for l in text.split("\n") if l.strip()]
        docs = [" ".join(lines[i:i + 8]) for i in range(0, len(lines), 8)]
    encs = tok.encode_batch(docs, add_special_tokens=False)
    ids = []
    for e in encs:
        ids.append(BOS); ids.extend(e.ids); ids.append(EOS)
    ids = torch.tensor(ids, dtype=torch.long)
    cut = int(len(ids) * 0.98)
    train[g], val[g] = ids[:cut], ids[cut:]
    genres.append(g)
    print(f"{g}: {len(docs)} docs, {len(ids)} tokens")
print(f"tokenized in {time.time()-t0:.1f}s")
weights = [len(train[g]) for g in genres]

cfg = MixtralConfig(vocab_size=32000, hidden_size=256, intermediate_size=384, num_hidden_layers=6,
                    num_attention_heads=8, num_key_value_heads=4, head_dim=32, num_local_experts=8,
                    num_experts_per_tok=2, max_position_embeddings=2048, rope_theta=10000.0,
                    rms_norm_eps=1e-5, tie_word_embeddings=True, sliding_window=None,
                    output_router_logits=True, router_aux_loss_coef=0.02, bos_token_id=BOS,
                    eos_token_id=EOS, initializer_range=0.02)
model = MixtralForCausalLM(cfg).to(dev)
nparams = sum(p.numel() for p in model.parameters())
print("params", nparams)

def batch(src, bs):
    xs = []
    for _ in range(bs):
        g = random.choices(genres, weights)[0]
        d = src[g]
        i = random.randrange(0, len(d) - SEQ - 1)
        xs.append(d[i:i + SEQ])
    return torch.stack(xs).to(dev)

opt = torch.optim.AdamW(model.parameters(), lr=2e-3, betas=(0.9, 0.95), weight_decay=0.1)
BS, WARM = 64, 150
step, t0, log = 0, time.time(), []
model.train()
while time.time() - t0 < seconds:
    frac = (time.time() - t0) / seconds
    lr = 2e-3 * min(1.0, (step + 1) / WARM) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
    for gr in opt.param_groups:
        gr["lr"] = lr
    x = batch(train, BS)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        o = model(input_ids=x, labels=x)
    opt.zero_grad(set_to_none=True)
    o.loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if step % 100 == 0:
        print(f"step {step} t={time.time()-t0:.0f}s loss {o.loss.item():.3f} aux {getattr(o,'aux_loss',torch.tensor(0.)).item():.3f} lr {lr:.2e}", flush=True)
        log.append(dict(step=step, seconds=round(time.time() - t0, 1), loss=o.loss.item()))
    step += 1
print("steps", step, "tokens", step * BS * SEQ)

# ---- save bf16 checkpoint, reload in float32 as every later check does ----
mdir = os.path.join(out, "model")
model.config.output_router_logits = False
model.to(torch.bfloat16).save_pretrained(mdir, safe_serialization=True)
for f in ("tokenizer.json", "tokenizer_config.json"):
    shutil.copy(os.path.join(tok_dir, f), mdir)
model = MixtralForCausalLM.from_pretrained(mdir, dtype=torch.float32).to(dev).eval()
model.config.output_router_logits = False

routes = []  # filled by hooks: (layer, router logits [n, E])
def mk_hook(li):
    def hook(mod, inp):
        x = inp[0].reshape(-1, inp[0].shape[-1]).float()
        routes.append((li, (x @ mod.weight.float().T).detach()))
    return hook
hooks = [l.mlp.gate.register_forward_pre_hook(mk_hook(i)) if hasattr(l, "mlp") else
         l.block_sparse_moe.gate.register_forward_pre_hook(mk_hook(i))
         for i, l in enumerate(model.model.layers)]

# ---- validation loss and routing entropy, per genre ----
report = dict(transformers=transformers.__version__, torch=torch.__version__, params=nparams,
              steps=step, batch=BS, seq=SEQ, train_seconds=seconds, tokens_seen=step * BS * SEQ,
              log=log, val={}, config=cfg.to_dict(), genres=genres)
E, L = cfg.num_local_experts, cfg.num_hidden_layers
ent_sum = torch.zeros(L); cnt = 0
usage = torch.zeros(L, E)
with torch.no_grad():
    tot_nll, tot_n = 0.0, 0
    for g in genres:
        d, nll, n = val[g], 0.0, 0
        for i in range(0, min(len(d) - SEQ - 1, 40 * SEQ), SEQ):
            x = d[i:i + SEQ + 1].to(dev)[None]
            routes.clear()
            lg = model(input_ids=x[:, :-1]).logits.float()
            loss = torch.nn.functional.cross_entropy(lg[0], x[0, 1:], reduction="sum")
            nll += loss.item(); n += SEQ
            for li, r in routes:
                p = torch.softmax(r, -1)
                ent_sum[li] += -(p * torch.log(p + 1e-12)).sum(-1).sum().cpu()
                top = torch.topk(p, 2, -1).indices
                usage[li] += torch.bincount(top.flatten(), minlength=E).cpu().float()
            cnt += SEQ
        report["val"][g] = dict(loss=nll / n, ppl=math.exp(nll / n), tokens=n)
        tot_nll += nll; tot_n += n
    report["val_loss"] = tot_nll / tot_n
    report["val_ppl"] = math.exp(tot_nll / tot_n)
    report["router_entropy_nats"] = (ent_sum / cnt).tolist()
    report["uniform_entropy_nats"] = math.log(E)
    u = usage / usage.sum(-1, keepdim=True)
    report["expert_usage"] = u.tolist()
print("val", json.dumps(report["val"]), "ppl", report["val_ppl"])
print("router entropy", report["router_entropy_nats"], "uniform", math.log(E))

# ---- generations, golden greedy, routing traces ----
def encode(text):
    return [BOS] + tok.encode(text, add_special_tokens=False).ids

prompts = {"scripture": "And the LORD said unto Moses,",
           "quotes-en": "A fool and his money",
           "quotes-de": "Wer anderen eine Grube gräbt,",
           "quotes-es": "La vida es",
           "hacker-lore": "hacker n. A person who"}
samples, traces = {}, {}
os.makedirs(os.path.join(out, "traces"), exist_ok=True)
with torch.no_grad():
    for g, p in prompts.items():
        ids = torch.tensor([encode(p)], device=dev)
        routes.clear()
        gen = model.generate(ids, max_new_tokens=48, do_sample=False)
        new = gen[0, ids.shape[1]:].tolist()
        samples[g] = dict(prompt=p, prompt_ids=ids[0].tolist(), greedy_ids=new,
                          greedy_text=tok.decode(new, skip_special_tokens=False))
        # routes: prefill call gives n_prompt rows per layer, then one row per step
        lines = [json.dumps(dict(format="strata-trace", version=1, model="tiny-moe",
                                 num_layers=L, num_experts=E, top_k=2, prompt=p))]
        pos_by_layer = [0] * L
        for li, r in routes:
            pr = torch.softmax(r, -1)
            w, i = torch.topk(pr, 2, -1)
            w = w / w.sum(-1, keepdim=True)
            for row in range(r.shape[0]):
                lines.append(json.dumps(dict(token=pos_by_layer[li], layer=li, experts=i[row].tolist(),
                                             weights=[round(v, 6) for v in w[row].tolist()])))
                pos_by_layer[li] += 1
        with open(os.path.join(out, "traces", f"{g}.jsonl"), "w") as f:
            f.write("\n".join(lines) + "\n")
        print(g, repr(samples[g]["greedy_text"]))
    torch.manual_seed(7)
    for g, p in prompts.items():
        ids = torch.tensor([encode(p)], device=dev)
        s = model.generate(ids, max_new_tokens=48, do_sample=True, temperature=0.8, top_k=40)
        samples[g]["sampled_text"] = tok.decode(s[0, ids.shape[1]:].tolist())
report["samples"] = samples
for h in hooks:
    h.remove()
# golden greedy on the CPU in float32 too (what the Java engine computes)
cpu = MixtralForCausalLM.from_pretrained(mdir, dtype=torch.float32).eval()
with torch.no_grad():
    gold = {}
    for g, p in prompts.items():
        ids = torch.tensor([encode(p)])
        o = cpu(input_ids=ids)
        gen = cpu.generate(ids, max_new_tokens=32, do_sample=False)
        gold[g] = dict(prompt=p, prompt_ids=ids[0].tolist(), greedy_ids=gen[0, ids.shape[1]:].tolist(),
                       last_logits_top10=torch.topk(o.logits[0, -1], 10).indices.tolist(),
                       last_logits=o.logits[0, -1].tolist())
json.dump(gold, open(os.path.join(out, "golden-greedy.json"), "w"))
json.dump(report, open(os.path.join(out, "report.json"), "w"), indent=1)
print("done")
