// The tokenizer of a Hugging Face checkpoint, read from the publisher's tokenizer.json (plus
// tokenizer_config.json and generation_config.json beside it for BOS/EOS): text to token ids and back.
package io.strata.engine.tokenizer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A tokenizer loaded from tokenizer.json: added tokens are cut out first, the rest is normalized,
 * pre-tokenized into words and encoded with BPE; decoding runs the file's decoder chain.
 *
 * <p>Supported: model BPE (byte-level or SentencePiece-style with byte fallback); normalizers NFC,
 * NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip, StripAccents, Sequence; pre-tokenizers
 * Split, ByteLevel, Metaspace, Digits, Sequence; decoders ByteLevel, Replace, ByteFallback, Fuse,
 * Strip, Metaspace, Sequence; post-processors TemplateProcessing, ByteLevel, BertProcessing,
 * RobertaProcessing, Sequence. Anything else fails to load with a {@link TokenizerFormatException}
 * naming the file and the component. Instances are immutable and safe to share between threads.
 */
public final class Tokenizer {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Normalizer normalizer;          // null: text is used as is
    private final PreTokenizer preTokenizer;      // null: each piece between added tokens is one word
    private final BpeModel model;
    private final Decoder decoder;                // null: tokens are joined with spaces, as the reference does
    private final AddedVocabulary rawAdded;       // added tokens matched on the raw text (normalized=false)
    private final AddedVocabulary normalizedAdded; // added tokens matched after normalization (normalized=true)
    private final Map<Integer, AddedVocabulary.AddedToken> addedById;
    private final PostProcessor postProcessor;    // what addSpecialTokens adds
    private final int bosId;                      // -1 when the checkpoint names no BOS token
    private final int[] eosIds;                   // (k) every id that ends generation, primary first
    private final int vocabSize;                  // model vocab plus added tokens: 1 + the largest id
    private final boolean cleanUpSpaces;          // clean_up_tokenization_spaces of tokenizer_config.json

    private Tokenizer(Normalizer normalizer, PreTokenizer preTokenizer, BpeModel model, Decoder decoder,
                      List<AddedVocabulary.AddedToken> added, PostProcessor postProcessor,
                      int bosId, int[] eosIds, boolean cleanUpSpaces) {
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.decoder = decoder;
        this.postProcessor = postProcessor;
        this.bosId = bosId;
        this.eosIds = eosIds;
        this.cleanUpSpaces = cleanUpSpaces;
        this.addedById = new HashMap<>();
        List<AddedVocabulary.AddedToken> raw = new ArrayList<>();
        List<AddedVocabulary.AddedToken> norm = new ArrayList<>();
        int maxId = model.size() - 1;
        for (AddedVocabulary.AddedToken t : added) {
            addedById.put(t.id(), t);
            maxId = Math.max(maxId, t.id());
            if (t.normalized() && normalizer != null) {
                norm.add(new AddedVocabulary.AddedToken(t.id(), normalizer.normalize(t.content()), t.singleWord(),
                        t.lstrip(), t.rstrip(), true, t.special()));
            } else {
                raw.add(t);
            }
        }
        this.rawAdded = new AddedVocabulary(raw);
        this.normalizedAdded = new AddedVocabulary(norm);
        this.vocabSize = maxId + 1;
    }

    // ---------------------------------------------------------------- loading

    /**
     * Loads a tokenizer.
     *
     * @param dirOrTokenizerJson a checkpoint folder holding tokenizer.json, or the tokenizer.json file
     *                           itself; tokenizer_config.json and generation_config.json are read from
     *                           the same folder when present
     * @throws TokenizerFormatException a file is malformed or uses an unsupported component
     * @throws IOException              a file cannot be read
     */
    public static Tokenizer load(Path dirOrTokenizerJson) throws IOException {
        Path json = Files.isDirectory(dirOrTokenizerJson) ? dirOrTokenizerJson.resolve("tokenizer.json") : dirOrTokenizerJson;
        if (!Files.isRegularFile(json)) {
            throw new NoSuchFileException(json.toString(), null, "expected a tokenizer.json file or a folder holding one");
        }
        Path dir = json.toAbsolutePath().getParent();
        String file = json.toString();
        // tokenizer.json is streamed: the vocab and the merges (nearly all of its bytes) go straight into the
        // model's tables; the other sections are small and are read as trees.
        ObjectNode root = JSON.createObjectNode();
        BpeModel model = readTokenizerJson(json, root);
        List<AddedVocabulary.AddedToken> added = new ArrayList<>();
        JsonNode addedNode = root.get("added_tokens");
        if (addedNode != null && !addedNode.isNull()) {
            if (!addedNode.isArray()) throw new TokenizerFormatException(file + ": \"added_tokens\" expected an array, found " + Json.abbreviate(addedNode));
            for (JsonNode a : addedNode) {
                if (!a.path("id").isInt()) throw new TokenizerFormatException(file + ": added token expected an integer \"id\", found " + Json.abbreviate(a));
                added.add(new AddedVocabulary.AddedToken(a.get("id").asInt(), Json.text(a, "content", file, "added token"),
                        Json.bool(a, "single_word", false), Json.bool(a, "lstrip", false), Json.bool(a, "rstrip", false),
                        Json.bool(a, "normalized", false), Json.bool(a, "special", false)));
            }
        }
        Normalizer normalizer = optional(root, "normalizer") ? Normalizer.fromJson(root.get("normalizer"), file) : null;
        PreTokenizer preTokenizer = optional(root, "pre_tokenizer") ? PreTokenizer.fromJson(root.get("pre_tokenizer"), file) : null;
        Decoder decoder = optional(root, "decoder") ? Decoder.fromJson(root.get("decoder"), file) : null;
        PostProcessor template = optional(root, "post_processor") ? PostProcessor.fromJson(root.get("post_processor"), file) : PostProcessor.NONE;

        // Token string -> id over model vocab and added tokens, for resolving names in the config files.
        Map<String, Integer> byName = new HashMap<>();
        for (AddedVocabulary.AddedToken t : added) byName.put(t.content(), t.id());

        JsonNode config = readOptional(dir.resolve("tokenizer_config.json"));
        JsonNode generation = readOptional(dir.resolve("generation_config.json"));
        String configFile = dir.resolve("tokenizer_config.json").toString();
        int bos = -1;
        Set<Integer> eos = new LinkedHashSet<>();
        boolean cleanUp = false;
        PostProcessor post = template;
        if (config != null) {
            bos = resolve(config, "bos_token", model, byName, configFile);
            int e = resolve(config, "eos_token", model, byName, configFile);
            if (e >= 0) eos.add(e);
            cleanUp = Json.bool(config, "clean_up_tokenization_spaces", false);
            // transformers rebuilds the post-processor from these flags when the config states them.
            if (config.has("add_bos_token") || config.has("add_eos_token")) {
                boolean addBos = Json.bool(config, "add_bos_token", false), addEos = Json.bool(config, "add_eos_token", false);
                if (addBos && bos < 0) throw new TokenizerFormatException(configFile + ": add_bos_token is true but bos_token names no token");
                int eosForPost = eos.isEmpty() ? -1 : eos.iterator().next();
                if (addEos && eosForPost < 0) throw new TokenizerFormatException(configFile + ": add_eos_token is true but eos_token names no token");
                post = PostProcessor.bosEos(addBos ? bos : -1, addEos ? eosForPost : -1);
            }
        }
        if (generation != null) {
            if ((config == null || !config.has("bos_token")) && generation.path("bos_token_id").isInt()) bos = generation.get("bos_token_id").asInt();
            JsonNode g = generation.get("eos_token_id");
            if (g != null && g.isInt()) eos.add(g.asInt());
            if (g != null && g.isArray()) for (JsonNode x : g) eos.add(x.asInt());
        }
        return new Tokenizer(normalizer, preTokenizer, model, decoder, added, post, bos,
                eos.stream().mapToInt(Integer::intValue).toArray(), cleanUp);
    }

    /**
     * Reads tokenizer.json in one pass: every top-level section but "model" lands in {@code rest} as a tree; the
     * model's "vocab" and "merges" are streamed into its tables without building a tree of them.
     *
     * @return the BPE model
     */
    private static BpeModel readTokenizerJson(Path json, ObjectNode rest) throws IOException {
        String file = json.toString();
        try (JsonParser p = JSON.createParser(json.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new TokenizerFormatException(file + ": expected a JSON object at the top level, found "
                        + (p.currentToken() == null ? "nothing" : Json.abbreviate(p.readValueAsTree())));
            }
            StreamedBpe model = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("model") && value == JsonToken.START_OBJECT) {
                    model = streamBpe(p, file);
                    rest.remove(name);
                } else {
                    rest.set(name, p.readValueAsTree());
                    if (name.equals("model")) model = null; // a later "model" replaces an earlier one, as in a tree
                }
            }
            if (model == null) {
                JsonNode m = rest.get("model");
                throw new TokenizerFormatException(file + ": expected a \"model\" object, found " + (m == null ? "nothing" : Json.abbreviate(m)));
            }
            return buildBpe(model, file);
        } catch (JacksonException | java.io.CharConversionException e) {
            throw unreadable(file, e);
        }
    }

    /** The "model" object as read: its small fields as a tree, the vocab as a map, the merges as string pairs. */
    private record StreamedBpe(ObjectNode fields, Map<String, Integer> vocab, List<String> mergeSides) {}

    /** Streams the "model" object the parser stands at (its START_OBJECT); returns at its END_OBJECT. */
    private static StreamedBpe streamBpe(JsonParser p, String file) throws IOException {
        ObjectNode fields = JSON.createObjectNode();
        Map<String, Integer> vocab = null;
        List<String> sides = null; // left, right, left, right, ... in rank order
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (name.equals("vocab") && value == JsonToken.START_OBJECT) {
                vocab = new HashMap<>(1 << 16);
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String token = p.currentName();
                    JsonToken t = p.nextToken();
                    int id;
                    if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT || (id = p.getIntValue()) < 0) {
                        throw new TokenizerFormatException(file + ": vocab entry '" + token + "' expected a non-negative integer id, found "
                                + p.readValueAsTree());
                    }
                    vocab.put(token, id);
                }
                fields.remove(name);
            } else if (name.equals("merges") && value == JsonToken.START_ARRAY) {
                sides = new ArrayList<>(1 << 17);
                JsonToken t;
                while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                    int rank = sides.size() / 2;
                    if (t == JsonToken.VALUE_STRING) {
                        String s = p.getText();
                        int sp = s.indexOf(' ', 1);
                        if (sp < 0 || s.indexOf(' ', sp + 1) >= 0) throw new TokenizerFormatException(file + ": merge " + rank + " expected \"left right\", found \"" + s + "\"");
                        sides.add(s.substring(0, sp));
                        sides.add(s.substring(sp + 1));
                    } else if (t == JsonToken.START_ARRAY) { // [left, right], as newer files write them
                        String left = p.nextToken() == JsonToken.VALUE_STRING ? p.getText() : null;
                        String right = left != null && p.nextToken() == JsonToken.VALUE_STRING ? p.getText() : null;
                        if (right == null || p.nextToken() != JsonToken.END_ARRAY) {
                            throw new TokenizerFormatException(file + ": merge " + rank + " expected \"left right\" or [left, right], found "
                                    + partialArray(p, left, right));
                        }
                        sides.add(left);
                        sides.add(right);
                    } else {
                        throw new TokenizerFormatException(file + ": merge " + rank + " expected \"left right\" or [left, right], found "
                                + Json.abbreviate(p.readValueAsTree()));
                    }
                }
                fields.remove(name);
            } else {
                fields.set(name, p.readValueAsTree());
                if (name.equals("vocab")) vocab = null;
                if (name.equals("merges")) sides = null;
            }
        }
        return new StreamedBpe(fields, vocab, sides);
    }

    /** An array merge read up to the token the parser stands at, which broke its form: ["a"], ["a", "b", "c" ...], [1 ...]. */
    private static String partialArray(JsonParser p, String left, String right) throws IOException {
        StringBuilder b = new StringBuilder("[");
        for (String s : new String[] {left, right}) if (s != null) b.append(b.length() > 1 ? ", " : "").append(JSON.writeValueAsString(s));
        JsonToken t = p.currentToken();
        if (t == JsonToken.END_ARRAY) return b.append(']').toString();
        String at = t == JsonToken.VALUE_STRING ? JSON.writeValueAsString(p.getText()) : t == JsonToken.START_ARRAY ? "[" : t == JsonToken.START_OBJECT ? "{" : p.getText();
        return b.append(b.length() > 1 ? ", " : "").append(at).append(" ...]").toString();
    }

    private static BpeModel buildBpe(StreamedBpe streamed, String file) throws TokenizerFormatException {
        JsonNode m = streamed.fields();
        String type = m.hasNonNull("type") ? m.get("type").asText() : "BPE";
        if (!type.equals("BPE")) throw new TokenizerFormatException(file + ": unsupported model type '" + type + "' (expected 'BPE')");
        if (m.hasNonNull("dropout") && m.get("dropout").asDouble() > 0) {
            throw new TokenizerFormatException(file + ": unsupported BPE dropout " + m.get("dropout").asDouble() + " (expected null)");
        }
        for (String f : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
            if (m.hasNonNull(f) && !m.get(f).asText().isEmpty()) {
                throw new TokenizerFormatException(file + ": unsupported BPE " + f + " '" + m.get(f).asText() + "' (expected null or \"\")");
            }
        }
        Map<String, Integer> tokenToId = streamed.vocab();
        if (tokenToId == null) {
            JsonNode vocab = m.get("vocab");
            throw new TokenizerFormatException(file + ": model expected a \"vocab\" object, found " + (vocab == null ? "nothing" : Json.abbreviate(vocab)));
        }
        int maxId = -1;
        for (int id : tokenToId.values()) maxId = Math.max(maxId, id);
        String[] idToToken = new String[maxId + 1];
        for (Map.Entry<String, Integer> e : tokenToId.entrySet()) idToToken[e.getValue()] = e.getKey();

        List<String> sides = streamed.mergeSides();
        if (sides == null) throw Json.notArray(m, "merges", file, "model");
        BpeModel.MergeTable table = new BpeModel.MergeTable(sides.size() / 2);
        for (int rank = 0; rank < sides.size() / 2; rank++) {
            String left = sides.get(2 * rank), right = sides.get(2 * rank + 1);
            Integer l = tokenToId.get(left), r = tokenToId.get(right), merged = tokenToId.get(left + right);
            if (l == null || r == null || merged == null) {
                throw new TokenizerFormatException(file + ": merge " + rank + " (\"" + left + "\", \"" + right + "\") refers to a token missing from the vocab");
            }
            table.putIfAbsent(l, r, rank, merged);
        }
        int unk = -1;
        if (m.hasNonNull("unk_token")) {
            Integer u = tokenToId.get(m.get("unk_token").asText());
            if (u == null) throw new TokenizerFormatException(file + ": unk_token '" + m.get("unk_token").asText() + "' is not in the vocab");
            unk = u;
        }
        return new BpeModel(tokenToId, idToToken, table, unk, Json.bool(m, "fuse_unk", false),
                Json.bool(m, "byte_fallback", false), Json.bool(m, "ignore_merges", false));
    }

    private static boolean optional(JsonNode root, String field) {
        return root.has(field) && !root.get(field).isNull();
    }

    private static JsonNode readJson(Path p) throws IOException {
        try {
            return JSON.readTree(p.toFile());
        } catch (JacksonException | java.io.CharConversionException e) {
            throw unreadable(p.toString(), e);
        }
    }

    /** A JSON file Jackson could not read: malformed JSON (and where), or bytes that are not UTF-8. */
    private static TokenizerFormatException unreadable(String file, IOException e) {
        if (e instanceof JacksonException j) {
            return new TokenizerFormatException(file + ": malformed JSON: " + j.getOriginalMessage()
                    + (j.getLocation() != null ? " at line " + j.getLocation().getLineNr() + ", column " + j.getLocation().getColumnNr() : ""), e);
        }
        // a CharConversionException: Jackson guessed an encoding (UTF-16/32) from the first bytes and found bytes that are none
        return new TokenizerFormatException(file + ": expected UTF-8 JSON, found undecodable bytes: " + e.getMessage(), e);
    }

    private static JsonNode readOptional(Path p) throws IOException {
        return Files.isRegularFile(p) ? readJson(p) : null;
    }

    /** The id of a token named by a config field (a string, or an object with "content"); -1 when null or absent. */
    private static int resolve(JsonNode config, String field, BpeModel model, Map<String, Integer> added, String file)
            throws TokenizerFormatException {
        JsonNode v = config.get(field);
        if (v == null || v.isNull()) return -1;
        String name = v.isObject() ? v.path("content").asText(null) : v.isTextual() ? v.asText() : null;
        if (name == null) throw new TokenizerFormatException(file + ": " + field + " expected a string or {\"content\": ...}, found " + Json.abbreviate(v));
        Integer id = added.get(name);
        if (id == null) id = model.id(name);
        if (id == null) throw new TokenizerFormatException(file + ": " + field + " '" + name + "' is neither an added token nor in the vocab");
        return id;
    }

    // ---------------------------------------------------------------- encoding

    /**
     * Encodes text to token ids.
     *
     * @param addSpecialTokens add what the checkpoint adds around a sequence (BOS for Mistral; nothing
     *                         for Qwen3 and gpt-oss). Added tokens written in the text are always
     *                         recognised, whatever this flag says.
     * @return (n) token ids
     */
    public int[] encode(String text, boolean addSpecialTokens) {
        IntList out = new IntList(text.length() / 3 + 4);
        List<AddedVocabulary.Piece> pieces = new ArrayList<>();
        rawAdded.split(text, 0, pieces);
        List<String> words = new ArrayList<>();
        for (AddedVocabulary.Piece p : pieces) {
            if (p.isToken()) {
                out.add(p.tokenId());
                continue;
            }
            String normalized = normalizer == null ? p.text() : normalizer.normalize(p.text());
            List<AddedVocabulary.Piece> sub;
            if (normalizedAdded.isEmpty()) {
                sub = List.of(new AddedVocabulary.Piece(-1, normalized, p.start()));
            } else {
                sub = new ArrayList<>();
                normalizedAdded.split(normalized, p.start(), sub);
            }
            for (AddedVocabulary.Piece q : sub) {
                if (q.isToken()) {
                    out.add(q.tokenId());
                    continue;
                }
                if (preTokenizer == null) {
                    model.encodeWord(q.text(), out);
                    continue;
                }
                words.clear();
                preTokenizer.split(q.text(), q.start() == 0, words);
                for (String w : words) model.encodeWord(w, out);
            }
        }
        int[] ids = out.toArray();
        return addSpecialTokens ? postProcessor.apply(ids) : ids;
    }

    // ---------------------------------------------------------------- decoding

    /**
     * Decodes token ids to text. Ids outside the vocabulary are skipped, as the reference does; bytes
     * that do not form UTF-8 become U+FFFD.
     *
     * @param skipSpecialTokens leave out added tokens marked special ("<s>", "<|im_end|>" ...)
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        return decode(ids, 0, ids.length, skipSpecialTokens);
    }

    String decode(int[] ids, int from, int to, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            int id = ids[i];
            AddedVocabulary.AddedToken a = addedById.get(id);
            if (a != null) {
                if (!(skipSpecialTokens && a.special())) tokens.add(a.content());
                continue;
            }
            String t = model.token(id);
            if (t != null) tokens.add(t);
        }
        String text = decoder == null ? String.join(" ", tokens) : String.join("", decoder.decodeChain(tokens));
        return cleanUpSpaces ? cleanUp(text) : text;
    }

    /** transformers' clean_up_tokenization: removes the space before punctuation and contractions. */
    private static String cleanUp(String s) {
        return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    /** A decoder for ids that arrive one at a time; special tokens are kept. */
    public StreamDecoder newStreamDecoder() {
        return new StreamDecoder(this, false);
    }

    /** A decoder for ids that arrive one at a time. */
    public StreamDecoder newStreamDecoder(boolean skipSpecialTokens) {
        return new StreamDecoder(this, skipSpecialTokens);
    }

    // ---------------------------------------------------------------- vocabulary

    /** The id of the BOS token named by the checkpoint, if it names one. */
    public OptionalInt bosId() {
        return bosId < 0 ? OptionalInt.empty() : OptionalInt.of(bosId);
    }

    /**
     * Every id that ends generation: tokenizer_config.json's eos_token first, then generation_config.json's
     * eos_token_id (an id or a list). Empty when neither file names one.
     */
    public int[] eosIds() {
        return eosIds.clone();
    }

    /** Number of ids: 1 + the largest id of the model vocab and the added tokens. */
    public int vocabSize() {
        return vocabSize;
    }

    /**
     * The token string of an id as the vocab writes it ("▁Hello", "Ġworld", "<|im_end|>").
     *
     * @throws IllegalArgumentException the id is outside 0..vocabSize()-1 or a hole in the vocab
     */
    public String token(int id) {
        AddedVocabulary.AddedToken a = addedById.get(id);
        if (a != null) return a.content();
        String t = model.token(id);
        if (t == null) throw new IllegalArgumentException("token id " + id + " is not in the vocabulary (expected 0.." + (vocabSize - 1) + ")");
        return t;
    }

    /** The id of a token string (a vocab entry or an added token), if there is one. */
    public OptionalInt id(String token) {
        for (AddedVocabulary.AddedToken a : addedById.values()) if (a.content().equals(token)) return OptionalInt.of(a.id());
        Integer id = model.id(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }
}
