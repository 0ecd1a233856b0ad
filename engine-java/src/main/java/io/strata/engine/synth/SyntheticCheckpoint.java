// Writes a random MoE checkpoint in exactly the files a publisher ships (config.json, sharded safetensors, tokenizer).
package io.strata.engine.synth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.compression.DType;
import io.strata.compression.Halfs;
import io.strata.compression.Layouts;
import io.strata.compression.kernel.Parallel;
import io.strata.engine.model.Architecture;
import io.strata.engine.model.TensorNames;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Deterministic from the seed: each tensor's values come from a generator seeded by
 * (seed, tensor name), so a shard can be regenerated alone. Linear weights are uniform with
 * standard deviation 1/sqrt(in_features) (activations keep their scale through the layers);
 * norm weights are 1 plus small noise. The folder is written under a temporary name and
 * renamed when complete.
 */
public final class SyntheticCheckpoint {
    /** Shape of a synthetic model. headDim 0 = hidden / heads. sharedInter > 0 adds a Qwen2-MoE shared expert. */
    public record Spec(Architecture arch, int vocab, int hidden, int layers, int heads, int kvHeads, int headDim,
                       int experts, int topK, int expertInter, int sharedInter, DType dtype, long seed, long maxShardBytes) {
        public int hd() {
            return headDim > 0 ? headDim : hidden / heads;
        }

        public Spec withSeed(long s) {
            return new Spec(arch, vocab, hidden, layers, heads, kvHeads, headDim, experts, topK, expertInter, sharedInter, dtype, s, maxShardBytes);
        }

        public Spec withLayers(int l) {
            return new Spec(arch, vocab, hidden, l, heads, kvHeads, headDim, experts, topK, expertInter, sharedInter, dtype, seed, maxShardBytes);
        }

        /** Total bytes of all tensors. */
        public long totalBytes() {
            long n = 0;
            for (TensorSpec t : tensors(this)) n += t.numel();
            return n * dtype.bytes;
        }

        public long expertBytes() {
            return 3L * expertInter * hidden * dtype.bytes;
        }
    }

    /** Presets: real published shapes and small ones for tests and the demo. */
    public static Spec preset(String name) {
        long shard = 4L << 30;
        return switch (name) {
            case "tiny" -> new Spec(Architecture.MIXTRAL, 256, 64, 2, 4, 2, 16, 8, 2, 32, 0, DType.BF16, 1, shard);
            case "demo-mixtral" -> new Spec(Architecture.MIXTRAL, 32000, 512, 8, 8, 4, 64, 8, 2, 1024, 0, DType.BF16, 7, 64L << 20);
            case "olmoe-1b-7b" -> new Spec(Architecture.OLMOE, 50304, 2048, 16, 16, 16, 128, 64, 8, 1024, 0, DType.BF16, 7, shard);
            case "mixtral-8x7b" -> new Spec(Architecture.MIXTRAL, 32000, 4096, 32, 32, 8, 128, 8, 2, 14336, 0, DType.BF16, 7, shard);
            case "qwen3-30b-a3b" -> new Spec(Architecture.QWEN3_MOE, 151936, 2048, 48, 32, 4, 128, 128, 8, 768, 0, DType.BF16, 7, shard);
            case "qwen1.5-moe-a2.7b" -> new Spec(Architecture.QWEN2_MOE, 151936, 2048, 24, 16, 16, 128, 60, 4, 1408, 5632, DType.BF16, 7, shard);
            default -> throw new IllegalArgumentException("unknown synthetic preset '" + name
                    + "' (tiny, demo-mixtral, olmoe-1b-7b, mixtral-8x7b, qwen3-30b-a3b, qwen1.5-moe-a2.7b)");
        };
    }

    record TensorSpec(String name, long[] shape, float std, boolean norm) {
        long numel() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    static List<TensorSpec> tensors(Spec s) {
        List<TensorSpec> t = new ArrayList<>();
        int h = s.hidden(), q = s.heads() * s.hd(), kv = s.kvHeads() * s.hd();
        t.add(new TensorSpec(TensorNames.EMBED, new long[] {s.vocab(), h}, 1f, false));
        for (int l = 0; l < s.layers(); l++) {
            t.add(new TensorSpec(TensorNames.layer(l, "input_layernorm.weight"), new long[] {h}, 0, true));
            t.add(new TensorSpec(TensorNames.layer(l, "post_attention_layernorm.weight"), new long[] {h}, 0, true));
            t.add(lin(TensorNames.layer(l, "self_attn.q_proj.weight"), q, h));
            t.add(lin(TensorNames.layer(l, "self_attn.k_proj.weight"), kv, h));
            t.add(lin(TensorNames.layer(l, "self_attn.v_proj.weight"), kv, h));
            t.add(lin(TensorNames.layer(l, "self_attn.o_proj.weight"), h, q));
            if (s.arch() == Architecture.QWEN2_MOE) {
                for (String p : new String[] {"q", "k", "v"}) {
                    t.add(new TensorSpec(TensorNames.layer(l, "self_attn." + p + "_proj.bias"), new long[] {p.equals("q") ? q : kv}, 0.02f, false));
                }
            }
            if (s.arch() == Architecture.QWEN3_MOE) {
                t.add(new TensorSpec(TensorNames.layer(l, "self_attn.q_norm.weight"), new long[] {s.hd()}, 0, true));
                t.add(new TensorSpec(TensorNames.layer(l, "self_attn.k_norm.weight"), new long[] {s.hd()}, 0, true));
            } else if (s.arch() == Architecture.OLMOE) {
                t.add(new TensorSpec(TensorNames.layer(l, "self_attn.q_norm.weight"), new long[] {q}, 0, true));
                t.add(new TensorSpec(TensorNames.layer(l, "self_attn.k_norm.weight"), new long[] {kv}, 0, true));
            }
            t.add(lin(TensorNames.router(s.arch(), l), s.experts(), h));
            for (int e = 0; e < s.experts(); e++) {
                t.add(lin(TensorNames.expert(s.arch(), l, e, 0), s.expertInter(), h));
                t.add(lin(TensorNames.expert(s.arch(), l, e, 1), s.expertInter(), h));
                t.add(lin(TensorNames.expert(s.arch(), l, e, 2), h, s.expertInter()));
            }
            if (s.sharedInter() > 0) {
                String p = TensorNames.moe(s.arch(), l) + ".shared_expert";
                t.add(lin(TensorNames.ffn(p, 0), s.sharedInter(), h));
                t.add(lin(TensorNames.ffn(p, 1), s.sharedInter(), h));
                t.add(lin(TensorNames.ffn(p, 2), h, s.sharedInter()));
                t.add(lin(TensorNames.moe(s.arch(), l) + ".shared_expert_gate.weight", 1, h));
            }
        }
        t.add(new TensorSpec(TensorNames.FINAL_NORM, new long[] {h}, 0, true));
        t.add(lin(TensorNames.LM_HEAD, s.vocab(), h));
        return t;
    }

    private static TensorSpec lin(String name, int rows, int cols) {
        return new TensorSpec(name, new long[] {rows, cols}, (float) (1.0 / Math.sqrt(cols)), false);
    }

    /** config.json as transformers writes it for the architecture. */
    public static ObjectNode config(Spec s) {
        ObjectMapper om = new ObjectMapper();
        ObjectNode c = om.createObjectNode();
        String cls = switch (s.arch()) {
            case MIXTRAL -> "MixtralForCausalLM";
            case QWEN3_MOE -> "Qwen3MoeForCausalLM";
            case OLMOE -> "OlmoeForCausalLM";
            case QWEN2_MOE -> "Qwen2MoeForCausalLM";
            case DEEPSEEK_V2, DEEPSEEK_V3, GLM4_MOE -> throw new IllegalArgumentException(
                    "synthetic checkpoints are written for mixtral, qwen3_moe, olmoe and qwen2_moe, not " + s.arch().modelType);
            case GPT_OSS -> throw new IllegalArgumentException("no synthetic gpt_oss model (its experts are stacked tensors): use a checkpoint");
        };
        c.putArray("architectures").add(cls);
        c.put("model_type", s.arch().modelType);
        c.put("vocab_size", s.vocab());
        c.put("hidden_size", s.hidden());
        c.put("num_hidden_layers", s.layers());
        c.put("num_attention_heads", s.heads());
        c.put("num_key_value_heads", s.kvHeads());
        c.put("head_dim", s.hd());
        c.put("num_experts_per_tok", s.topK());
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 1e6);
        c.put("max_position_embeddings", 32768);
        c.put("tie_word_embeddings", false);
        c.put("bos_token_id", 1);
        c.put("eos_token_id", 2);
        c.put("hidden_act", "silu");
        c.put("torch_dtype", s.dtype() == DType.BF16 ? "bfloat16" : s.dtype() == DType.F16 ? "float16" : "float32");
        switch (s.arch()) {
            case MIXTRAL -> {
                c.put("num_local_experts", s.experts());
                c.put("intermediate_size", s.expertInter());
                c.putNull("sliding_window");
            }
            case OLMOE -> {
                c.put("num_experts", s.experts());
                c.put("intermediate_size", s.expertInter());
                c.put("norm_topk_prob", false);
                c.putNull("clip_qkv");
            }
            case QWEN3_MOE, QWEN2_MOE -> {
                c.put("num_experts", s.experts());
                c.put("moe_intermediate_size", s.expertInter());
                c.put("intermediate_size", s.expertInter() * 4);
                c.put("decoder_sparse_step", 1);
                c.putArray("mlp_only_layers");
                c.put("norm_topk_prob", s.arch() == Architecture.QWEN3_MOE);
                if (s.arch() == Architecture.QWEN2_MOE) c.put("shared_expert_intermediate_size", s.sharedInter());
            }
        }
        return c;
    }

    /** Writes the checkpoint into dir (created; must not exist). Returns dir. */
    public static Path write(Spec s, Path dir, ProgressListener progress) throws IOException {
        if (Files.exists(dir)) throw new IOException(dir + ": already exists");
        Path tmp = dir.resolveSibling(dir.getFileName() + ".partial");
        if (Files.exists(tmp)) deleteTree(tmp);
        Files.createDirectories(tmp);
        ObjectMapper om = new ObjectMapper();
        om.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve("config.json").toFile(), config(s));
        // Assign tensors to shards of at most maxShardBytes (a tensor larger than that gets its own).
        List<List<TensorSpec>> shards = new ArrayList<>();
        List<TensorSpec> cur = new ArrayList<>();
        long curBytes = 0;
        for (TensorSpec t : tensors(s)) {
            long b = t.numel() * s.dtype().bytes;
            if (!cur.isEmpty() && curBytes + b > s.maxShardBytes()) {
                shards.add(cur);
                cur = new ArrayList<>();
                curBytes = 0;
            }
            cur.add(t);
            curBytes += b;
        }
        shards.add(cur);
        long total = s.totalBytes(), done = 0;
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (int i = 0; i < shards.size(); i++) {
            String file = shards.size() == 1 ? "model.safetensors"
                    : String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            done = writeShard(s, shards.get(i), tmp.resolve(file), done, total, progress);
            for (TensorSpec t : shards.get(i)) weightMap.put(t.name(), file);
        }
        if (shards.size() > 1) {
            ObjectNode idx = om.createObjectNode();
            idx.putObject("metadata").put("total_size", total);
            ObjectNode wm = idx.putObject("weight_map");
            weightMap.forEach(wm::put);
            om.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve("model.safetensors.index.json").toFile(), idx);
        }
        copyTokenizer(s, tmp);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        return dir;
    }

    /** Writes the Mistral/Mixtral tokenizer files into dir when the vocabulary fits them (32000). */
    static void copyTokenizer(Spec s, Path dir) throws IOException {
        if (s.vocab() != 32000) return;
        for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"}) {
            try (InputStream in = SyntheticCheckpoint.class.getResourceAsStream(f)) {
                Files.copy(in, dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** Progress in bytes written. */
    public interface ProgressListener {
        void progress(long done, long total);
    }

    private static long writeShard(Spec s, List<TensorSpec> ts, Path file, long done, long total, ProgressListener pl) throws IOException {
        ObjectMapper om = new ObjectMapper();
        ObjectNode header = om.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long off = 0;
        for (TensorSpec t : ts) {
            ObjectNode e = header.putObject(t.name());
            e.put("dtype", s.dtype().name());
            ArrayNode sh = e.putArray("shape");
            for (long d : t.shape()) sh.add(d);
            long b = t.numel() * s.dtype().bytes;
            e.putArray("data_offsets").add(off).add(off + b);
            off += b;
        }
        byte[] hb = om.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int pad = (8 - hb.length % 8) % 8; // data starts 8-byte aligned, as the reference writer does
        byte[] hp = new byte[hb.length + pad];
        System.arraycopy(hb, 0, hp, 0, hb.length);
        for (int i = hb.length; i < hp.length; i++) hp[i] = ' ';
        long dataStart = 8 + hp.length;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
             Arena arena = Arena.ofShared()) {
            MemorySegment map = ch.map(FileChannel.MapMode.READ_WRITE, 0, dataStart + off, arena);
            map.set(Layouts.I64, 0, hp.length);
            MemorySegment.copy(MemorySegment.ofArray(hp), 0, map, 8, hp.length);
            long p = dataStart;
            for (TensorSpec t : ts) {
                fill(s, t, map.asSlice(p, t.numel() * s.dtype().bytes));
                p += t.numel() * s.dtype().bytes;
                done += t.numel() * s.dtype().bytes;
                if (pl != null) pl.progress(done, total);
            }
            map.force();
        }
        return done;
    }

    /** Fills a tensor with values from a generator seeded by (seed, name), in parallel chunks. */
    static void fill(Spec s, TensorSpec t, MemorySegment out) {
        long n = t.numel();
        long base = s.seed() * 0x9E3779B97F4A7C15L ^ t.name().hashCode() * 0xC2B2AE3D27D4EB4FL;
        int chunks = (int) Math.max(1, Math.min(1 << 16, n / (1 << 16)));
        float a = (float) (t.std() * Math.sqrt(3)); // uniform(-a, a) has standard deviation std
        Parallel.forRange(chunks, 1, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                long from = n * c / chunks, to = n * (c + 1) / chunks;
                long x = mix(base + c);
                for (long i = from; i < to; i++) {
                    x ^= x << 13;
                    x ^= x >>> 7;
                    x ^= x << 17; // xorshift64
                    float u = ((x >>> 40) * 0x1.0p-24f) * 2f - 1f; // uniform in [-1, 1)
                    float v = t.norm() ? 1f + 0.05f * u : a * u;
                    switch (s.dtype()) {
                        case BF16 -> out.setAtIndex(Layouts.I16, i, Halfs.floatToBf16(v));
                        case F16 -> out.setAtIndex(Layouts.I16, i, Halfs.floatToF16(v));
                        default -> out.setAtIndex(Layouts.F32, i, v);
                    }
                }
            }
        });
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return z == 0 ? 1 : z;
    }

    static void deleteTree(Path p) throws IOException {
        try (var s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }

}
