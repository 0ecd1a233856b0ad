// The tokenizer and chat template a GGUF file carries, written back as tokenizer.json + tokenizer_config.json.
package io.strata.engine.checkpoint.gguf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.engine.checkpoint.CheckpointException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * GGUF keeps the vocabulary as {@code tokenizer.ggml.tokens} (id order), {@code .token_type}
 * (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte), {@code .merges}
 * ("a b" strings, rank order) and names the pre-tokenizer in {@code tokenizer.ggml.pre}.
 * Byte-level BPE ({@code tokenizer.ggml.model} "gpt2") is rebuilt as the Hugging Face
 * tokenizer.json it came from, for the pre-tokenizers of the models Strata runs:
 * <ul>
 * <li>"qwen2" (Qwen2/Qwen3): NFC, the Qwen split regex, byte level;
 * <li>"llama-bpe" (Llama 3 style): the same regex with digits in runs of one to three;
 * <li>"gpt-4o" (gpt-oss's o200k): the o200k split regex, byte level, merges ignored for whole-word tokens;
 * <li>"default", "gpt-2", "olmo", "dbrx" (GPT-2 / GPT-NeoX style): byte level with the GPT-2 regex.
 * </ul>
 * Control and user-defined tokens become added tokens (special for control). The chat
 * template ({@code tokenizer.chat_template}) and the bos/eos tokens go to tokenizer_config.json.
 * SentencePiece BPE vocabularies ("llama") are rebuilt as transformers' LlamaConverter does
 * ({@link #writeSentencePiece}). Other models and pre-tokenizers are not converted: {@link #write}
 * says so instead of guessing.
 */
public final class GgufTokenizer {
    private GgufTokenizer() {}

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** o200k (gpt-oss, GPT-4o): cased letter runs with contractions, digits in runs of one to three. */
    static final String O200K_REGEX = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
            + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
            + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /**
     * Writes dir/tokenizer.json and dir/tokenizer_config.json from g's metadata; returns null on
     * success, else why the tokenizer could not be converted (nothing is written then).
     */
    public static String write(GgufModel g, Path dir) {
        Map<String, Object> m = g.metadata();
        String model = g.getString("tokenizer.ggml.model", null);
        if (model == null) return g.path() + " holds no tokenizer (no tokenizer.ggml.model)";
        if (model.equals("llama")) return writeSentencePiece(g, dir);
        if (!model.equals("gpt2")) {
            return g.path() + ": tokenizer.ggml.model '" + model + "' is not converted (supported: 'gpt2', byte-level BPE, and 'llama', "
                    + "SentencePiece BPE)";
        }
        String pre = g.getString("tokenizer.ggml.pre", "default");
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        ArrayNode added = root.putArray("added_tokens");
        switch (pre) {
            case "qwen2" -> {
                root.putObject("normalizer").put("type", "NFC");
                root.set("pre_tokenizer", splitThenBytes(QWEN2_REGEX));
            }
            case "llama-bpe", "llama3" -> {
                root.putNull("normalizer");
                root.set("pre_tokenizer", splitThenBytes(LLAMA3_REGEX));
            }
            case "gpt-4o" -> { // gpt-oss: o200k
                root.putNull("normalizer");
                root.set("pre_tokenizer", splitThenBytes(O200K_REGEX));
            }
            case "default", "gpt-2", "gpt2", "olmo", "dbrx" -> {
                root.putNull("normalizer");
                root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true);
            }
            default -> {
                return g.path() + ": tokenizer.ggml.pre '" + pre + "' is not converted (supported: qwen2, llama-bpe, gpt-4o, default, gpt-2, olmo, dbrx)";
            }
        }
        root.putObject("post_processor").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", false).put("use_regex", false);
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        String[] tokens = tokens(g);
        long[] types = types(g, tokens.length);
        ObjectNode bpe = root.putObject("model");
        bpe.put("type", "BPE").putNull("dropout").putNull("unk_token").put("continuing_subword_prefix", "").put("end_of_word_suffix", "")
                .put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", pre.equals("llama-bpe") || pre.equals("llama3") || pre.equals("gpt-4o"));
        ObjectNode vocab = bpe.putObject("vocab");
        for (int i = 0; i < tokens.length; i++) {
            int type = (int) types[i];
            if (type == 3 || type == 4) {
                added.addObject().put("id", i).put("content", tokens[i]).put("single_word", false).put("lstrip", false).put("rstrip", false)
                        .put("normalized", type == 4).put("special", type == 3);
            }
            vocab.put(tokens[i], i);
        }
        ArrayNode merges = bpe.putArray("merges");
        if (m.get("tokenizer.ggml.merges") instanceof GgufArray mg && mg.values() instanceof String[] ms) {
            for (String s : ms) merges.add(s);
        } else {
            throw new CheckpointException(g.path() + ": a 'gpt2' tokenizer needs tokenizer.ggml.merges (an array of strings)");
        }
        write(dir, root, config(g, tokens, m.get("tokenizer.ggml.add_bos_token") instanceof Boolean b && b));
        return null;
    }

    /**
     * SentencePiece BPE ("llama": Mistral, Mixtral, Llama 2) as transformers' converter writes it:
     * a BPE model with byte fallback whose merges are every split of a piece into two pieces of
     * the vocabulary, ranked by the merged piece's score (highest first; ties by the ids of the
     * two halves), the "▁" space handling of its normalizer and decoder, and bos added by default.
     */
    static String writeSentencePiece(GgufModel g, Path dir) {
        Map<String, Object> m = g.metadata();
        String[] tokens = tokens(g);
        long[] types = types(g, tokens.length);
        float[] scores = m.get("tokenizer.ggml.scores") instanceof GgufArray a ? a.floats() : null;
        if (scores == null || scores.length != tokens.length) {
            throw new CheckpointException(g.path() + ": a 'llama' tokenizer needs tokenizer.ggml.scores, one per token (" + tokens.length + ")");
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        ArrayNode added = root.putArray("added_tokens");
        boolean prefix = !(m.get("tokenizer.ggml.add_space_prefix") instanceof Boolean b) || b;
        ObjectNode norm = root.putObject("normalizer").put("type", "Sequence");
        ArrayNode norms = norm.putArray("normalizers");
        if (prefix) norms.addObject().put("type", "Prepend").put("prepend", "\u2581");
        ObjectNode rep = norms.addObject().put("type", "Replace");
        rep.putObject("pattern").put("String", " ");
        rep.put("content", "\u2581");
        root.putNull("pre_tokenizer");
        root.putNull("post_processor");
        ObjectNode dec = root.putObject("decoder").put("type", "Sequence");
        ArrayNode decs = dec.putArray("decoders");
        ObjectNode drep = decs.addObject().put("type", "Replace");
        drep.putObject("pattern").put("String", "\u2581");
        drep.put("content", " ");
        decs.addObject().put("type", "ByteFallback");
        decs.addObject().put("type", "Fuse");
        if (prefix) decs.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        String unk = null;
        Map<String, Integer> vocabIds = new java.util.HashMap<>(tokens.length * 2);
        for (int i = 0; i < tokens.length; i++) {
            int type = (int) types[i];
            if (type == 2 && unk == null) unk = tokens[i];
            if (type == 2 || type == 3 || type == 4) {
                added.addObject().put("id", i).put("content", tokens[i]).put("single_word", false).put("lstrip", false).put("rstrip", false)
                        .put("normalized", type == 4).put("special", type != 4);
            }
            vocabIds.putIfAbsent(tokens[i], i);
        }
        ObjectNode bpe = root.putObject("model");
        bpe.put("type", "BPE").putNull("dropout").put("unk_token", unk).putNull("continuing_subword_prefix").putNull("end_of_word_suffix")
                .put("fuse_unk", true).put("byte_fallback", true);
        ObjectNode vocab = bpe.putObject("vocab");
        for (int i = 0; i < tokens.length; i++) if (vocabIds.get(tokens[i]) == i) vocab.put(tokens[i], i);
        // Merges: (left id, right id, rank by score of the merged piece); a stable sort keeps transformers' tie order.
        java.util.List<int[]> merges = new java.util.ArrayList<>();
        for (int i = 0; i < tokens.length; i++) {
            String t = tokens[i];
            if (vocabIds.get(t) != i) continue;
            java.util.List<int[]> local = new java.util.ArrayList<>();
            for (int cut = t.offsetByCodePoints(0, 1); cut < t.length(); cut = t.offsetByCodePoints(cut, 1)) {
                Integer l = vocabIds.get(t.substring(0, cut)), r = vocabIds.get(t.substring(cut));
                if (l != null && r != null) local.add(new int[] {l, r, i});
            }
            local.sort(java.util.Comparator.<int[]>comparingInt(x -> x[0]).thenComparingInt(x -> x[1]));
            merges.addAll(local);
        }
        merges.sort((x, y) -> Float.compare(scores[y[2]], scores[x[2]]));
        ArrayNode ml = bpe.putArray("merges");
        for (int[] x : merges) ml.addArray().add(tokens[x[0]]).add(tokens[x[1]]);
        ObjectNode cfg = config(g, tokens, !(m.get("tokenizer.ggml.add_bos_token") instanceof Boolean b) || b);
        cfg.put("legacy", true);
        write(dir, root, cfg);
        return null;
    }

    private static String[] tokens(GgufModel g) {
        if (!(g.metadata().get("tokenizer.ggml.tokens") instanceof GgufArray toks) || !(toks.values() instanceof String[] tokens)) {
            throw new CheckpointException(g.path() + ": tokenizer.ggml.tokens must be an array of strings");
        }
        return tokens;
    }

    /** Token types (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte); all normal when absent. */
    private static long[] types(GgufModel g, int n) {
        Object v = g.metadata().get("tokenizer.ggml.token_type");
        if (v == null) {
            long[] t = new long[n];
            java.util.Arrays.fill(t, 1);
            return t;
        }
        if (!(v instanceof GgufArray a) || !(a.values() instanceof long[] types)) {
            throw new CheckpointException(g.path() + ": tokenizer.ggml.token_type must be an array of integers");
        }
        if (types.length != n) {
            throw new CheckpointException(g.path() + ": tokenizer.ggml.token_type has " + types.length + " entries but tokenizer.ggml.tokens has " + n);
        }
        return types;
    }

    private static ObjectNode config(GgufModel g, String[] tokens, boolean addBos) {
        Map<String, Object> m = g.metadata();
        ObjectNode cfg = JSON.createObjectNode();
        String template = g.getString("tokenizer.chat_template", null);
        if (template != null) cfg.put("chat_template", template);
        tokenName(g, tokens, "tokenizer.ggml.bos_token_id", cfg, "bos_token");
        tokenName(g, tokens, "tokenizer.ggml.eos_token_id", cfg, "eos_token");
        cfg.put("add_bos_token", addBos && cfg.has("bos_token"));
        cfg.put("add_eos_token", m.get("tokenizer.ggml.add_eos_token") instanceof Boolean b && b && cfg.has("eos_token"));
        cfg.put("clean_up_tokenization_spaces", false);
        return cfg;
    }

    private static void write(Path dir, ObjectNode tokenizer, ObjectNode cfg) {
        try {
            JSON.writeValue(dir.resolve("tokenizer.json").toFile(), tokenizer);
            JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer_config.json").toFile(), cfg);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectNode splitThenBytes(String regex) {
        ObjectNode seq = JSON.createObjectNode().put("type", "Sequence");
        ArrayNode list = seq.putArray("pretokenizers");
        ObjectNode split = list.addObject().put("type", "Split");
        split.putObject("pattern").put("Regex", regex);
        split.put("behavior", "Isolated").put("invert", false);
        list.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", false).put("use_regex", false);
        return seq;
    }

    private static void tokenName(GgufModel g, String[] tokens, String key, ObjectNode cfg, String field) {
        if (!(g.metadata().get(key) instanceof Long id)) return;
        if (id < 0 || id >= tokens.length) {
            throw new CheckpointException(g.path() + ": " + key + " is " + id + ", outside the vocabulary of " + tokens.length + " tokens");
        }
        cfg.put(field, tokens[(int) (long) id]);
    }
}
