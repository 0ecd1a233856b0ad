// A byte-level BPE tokenizer stored as GGUF metadata converts back to a tokenizer that reproduces the reference encodings.
package io.strata.engine.checkpoint.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.engine.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Qwen3 tokenizer of ../shared (skipped when absent) is written into GGUF metadata the way
 * llama.cpp's converter stores it (tokens in id order, token types, "left right" merges,
 * pre-tokenizer "qwen2", the chat template); the tokenizer converted back must reproduce the
 * reference encodings (golden-encodings.json, made by @lenml/tokenizers).
 */
class GgufTokenizerTest {
    @TempDir
    Path tmp;

    static Path shared(String name) {
        String root = System.getProperty("maven.multiModuleProjectDirectory", System.getProperty("user.dir") + "/..");
        return Path.of(root).toAbsolutePath().resolve("../shared/data/tokenizers").resolve(name).normalize();
    }

    static GgufFileTest.Builder stringArray(GgufFileTest.Builder b, String key, String[] v) {
        b.str(key).u32(GgufFile.ARRAY).u32(GgufFile.STRING).u64(v.length);
        for (String s : v) b.str(s == null ? "" : s);
        return b;
    }

    @Test
    void qwen3TokenizerRoundTripsThroughGgufMetadata() throws Exception {
        roundTrip("qwen3", "qwen2", "<|im_end|>");
    }

    /** gpt-oss's o200k tokenizer, stored as llama.cpp stores it (pre-tokenizer "gpt-4o"), converts back exactly. */
    @Test
    void gptOssTokenizerRoundTripsThroughGgufMetadata() throws Exception {
        roundTrip("gpt-oss", "gpt-4o", "<|return|>");
    }

    /** The shared tokenizer {@code name} written into GGUF metadata with pre-tokenizer {@code pre}, converted back. */
    private void roundTrip(String name, String pre, String eosToken) throws Exception {
        Path dir = shared(name);
        assumeTrue(Files.isRegularFile(dir.resolve("golden-encodings.json")), "no tokenizer fixtures at " + dir);
        ObjectMapper om = new ObjectMapper();
        JsonNode tj = om.readTree(dir.resolve("tokenizer.json").toFile()), tc = om.readTree(dir.resolve("tokenizer_config.json").toFile());
        int n = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = tj.get("model").get("vocab").fields(); it.hasNext(); ) n = Math.max(n, it.next().getValue().asInt() + 1);
        for (JsonNode a : tj.get("added_tokens")) n = Math.max(n, a.get("id").asInt() + 1);
        String[] tokens = new String[n];
        long[] types = new long[n];
        java.util.Arrays.fill(types, 1);
        for (Iterator<Map.Entry<String, JsonNode>> it = tj.get("model").get("vocab").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            tokens[e.getValue().asInt()] = e.getKey();
        }
        for (JsonNode a : tj.get("added_tokens")) {
            tokens[a.get("id").asInt()] = a.get("content").asText();
            types[a.get("id").asInt()] = a.get("special").asBoolean() ? 3 : 4;
        }
        JsonNode mj = tj.get("model").get("merges");
        String[] merges = new String[mj.size()];
        for (int i = 0; i < merges.length; i++) merges[i] = mj.get(i).get(0).asText() + " " + mj.get(i).get(1).asText();
        int eos = tj.get("added_tokens").findValues("content").stream().map(JsonNode::asText).toList().indexOf(eosToken);
        eos = tj.get("added_tokens").get(eos).get("id").asInt();

        GgufFileTest.Builder b = GgufFileTest.header(0, 7);
        b.str("tokenizer.ggml.model").u32(GgufFile.STRING).str("gpt2");
        b.str("tokenizer.ggml.pre").u32(GgufFile.STRING).str(pre);
        stringArray(b, "tokenizer.ggml.tokens", tokens);
        b.str("tokenizer.ggml.token_type").u32(GgufFile.ARRAY).u32(GgufFile.INT32).u64(n);
        for (long t : types) b.u32(t);
        stringArray(b, "tokenizer.ggml.merges", merges);
        b.str("tokenizer.ggml.eos_token_id").u32(GgufFile.UINT32).u32(eos);
        boolean template = tc.hasNonNull("chat_template");
        b.str("tokenizer.chat_template").u32(GgufFile.STRING).str(template ? tc.get("chat_template").asText() : "");
        Path f = b.write(tmp.resolve("tok.gguf"));
        Path out = Files.createDirectory(tmp.resolve("out"));
        try (GgufModel g = GgufModel.open(f)) {
            assertNull(GgufTokenizer.write(g, out));
        }
        Tokenizer tok = Tokenizer.load(out);
        for (JsonNode c : om.readTree(dir.resolve("golden-encodings.json").toFile())) {
            int[] want = new int[c.get("ids").size()];
            for (int i = 0; i < want.length; i++) want[i] = c.get("ids").get(i).asInt();
            assertArrayEquals(want, tok.encode(c.get("text").asText(), false), c.get("text").asText());
            assertEquals(c.get("decoded").asText(), tok.decode(want, false));
        }
        JsonNode cfg = om.readTree(out.resolve("tokenizer_config.json").toFile());
        if (template) assertEquals(tc.get("chat_template").asText(), cfg.get("chat_template").asText());
        assertEquals(eosToken, cfg.get("eos_token").asText());
    }

    /**
     * Mistral's SentencePiece BPE (test resources) as llama.cpp stores it: tokens in id order,
     * scores, token types (unknown, control, byte, normal); the converted tokenizer must
     * reproduce the reference encodings.
     */
    @Test
    void sentencePieceTokenizerRoundTripsThroughGgufMetadata() throws Exception {
        Path dir = Path.of(getClass().getResource("/tokenizer/mistral-spm-32k/tokenizer.json").toURI()).getParent();
        ObjectMapper om = new ObjectMapper();
        JsonNode tj = om.readTree(dir.resolve("tokenizer.json").toFile());
        int n = tj.get("model").get("vocab").size();
        String[] tokens = new String[n];
        for (Iterator<Map.Entry<String, JsonNode>> it = tj.get("model").get("vocab").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            tokens[e.getValue().asInt()] = e.getKey();
        }
        // tokenizer.json has no SentencePiece scores; its merges were ranked by them, so the rank of
        // the first merge that makes a piece stands in for its score (pieces no merge makes: 0).
        float[] scores = new float[n];
        Map<String, Integer> ids = new java.util.HashMap<>();
        for (int i = 0; i < n; i++) ids.put(tokens[i], i);
        JsonNode mj = tj.get("model").get("merges");
        for (int r = mj.size() - 1; r >= 0; r--) {
            JsonNode mg = mj.get(r);
            String merged = mg.isArray() ? mg.get(0).asText() + mg.get(1).asText() : mg.asText().replaceFirst(" ", "");
            scores[ids.get(merged)] = -1 - r;
        }
        GgufFileTest.Builder b = GgufFileTest.header(0, 8);
        b.str("tokenizer.ggml.model").u32(GgufFile.STRING).str("llama");
        stringArray(b, "tokenizer.ggml.tokens", tokens);
        b.str("tokenizer.ggml.scores").u32(GgufFile.ARRAY).u32(GgufFile.FLOAT32).u64(n);
        for (int i = 0; i < n; i++) b.u32(Float.floatToIntBits(scores[i]));
        b.str("tokenizer.ggml.token_type").u32(GgufFile.ARRAY).u32(GgufFile.INT32).u64(n);
        for (int i = 0; i < n; i++) b.u32(i == 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1);
        b.str("tokenizer.ggml.bos_token_id").u32(GgufFile.UINT32).u32(1);
        b.str("tokenizer.ggml.eos_token_id").u32(GgufFile.UINT32).u32(2);
        b.str("tokenizer.ggml.unknown_token_id").u32(GgufFile.UINT32).u32(0);
        b.str("tokenizer.ggml.add_bos_token").u32(GgufFile.BOOL).bytes(new byte[] {1});
        Path out = Files.createDirectory(tmp.resolve("spm"));
        try (GgufModel g = GgufModel.open(b.write(tmp.resolve("spm.gguf")))) {
            assertNull(GgufTokenizer.write(g, out));
        }
        Tokenizer tok = Tokenizer.load(out);
        int cases = 0;
        for (JsonNode c : om.readTree(dir.resolve("golden-encodings.json").toFile())) {
            int[] want = new int[c.get("ids").size()];
            for (int i = 0; i < want.length; i++) want[i] = c.get("ids").get(i).asInt();
            assertArrayEquals(want, tok.encode(c.get("text").asText(), false), c.get("text").asText());
            assertEquals(c.get("decoded").asText(), tok.decode(want, false));
            cases++;
        }
        assertTrue(cases > 10);
        int[] withBos = tok.encode("Hello", true);
        assertEquals(1, withBos[0], "add_bos_token: <s> first");
    }

    @Test
    void unsupportedTokenizersAreNamed() throws Exception {
        GgufFileTest.Builder b = GgufFileTest.header(0, 1);
        b.str("tokenizer.ggml.model").u32(GgufFile.STRING).str("t5");
        try (GgufModel g = GgufModel.open(b.write(tmp.resolve("t5.gguf")))) {
            String why = GgufTokenizer.write(g, tmp);
            assertTrue(why.contains("t5.gguf") && why.contains("'t5'") && why.contains("gpt2"), why);
        }
        b = GgufFileTest.header(0, 2);
        b.str("tokenizer.ggml.model").u32(GgufFile.STRING).str("gpt2");
        b.str("tokenizer.ggml.pre").u32(GgufFile.STRING).str("deepseek-v3");
        try (GgufModel g = GgufModel.open(b.write(tmp.resolve("pre.gguf")))) {
            String why = GgufTokenizer.write(g, tmp);
            assertTrue(why.contains("'deepseek-v3'") && why.contains("qwen2"), why);
        }
        assertTrue(!Files.exists(tmp.resolve("tokenizer.json")));
    }
}
