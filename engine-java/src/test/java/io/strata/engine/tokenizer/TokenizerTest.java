// Behaviour of Tokenizer beyond the golden cases: special tokens, BOS/EOS, streaming decode of
// characters split over tokens, unknown ids and bytes, round trips, added-token flags.
package io.strata.engine.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class TokenizerTest {
    /** Text that exercises every pre-tokenizer branch: case, contractions, digits, CJK, emoji, marks, whitespace runs. */
    static final List<String> SAMPLES = List.of(
            "Hello, world!", "", " ", "\n\n\n", "  x  ", "\t\tindented\r\n", "It's 2025; we'LL see.",
            "naïve café — déjà vu", "数字 12345 和 中文", "emoji 🚀🔥 test 👩‍👩‍👧", "Привет, мир!", "안녕하세요 세계",
            "मौसम अच्छा है", "e\u0301 vs \u00e9", "x = f(y) ** 2  # comment\n    return [a, b]",
            "<|im_start|>user\nHi<|im_end|>\n<think>\nhmm\n</think>", "ＦＵＬＬＷＩＤＴＨ ｶﾀｶﾅ", "a".repeat(300),
            "0123456789".repeat(7), "ab\u0000cd\u007f\u200b");

    static Tokenizer mistral() {
        return TokenizerFixtures.load(TokenizerFixtures.mistral());
    }

    static Tokenizer shared(String name) {
        Path dir = TokenizerFixtures.shared(name);
        assumeTrue(Files.isRegularFile(dir.resolve("tokenizer.json")), "no tokenizer at " + dir);
        return TokenizerFixtures.load(dir);
    }

    @Test
    void mistralVocabularyAndSpecialTokens() {
        Tokenizer t = mistral();
        assertEquals(32000, t.vocabSize());
        assertEquals(OptionalInt.of(1), t.bosId());
        assertArrayEquals(new int[] {2}, t.eosIds());
        assertEquals("<s>", t.token(1));
        assertEquals("▁Hello", t.token(22557));
        assertEquals("<0xFD>", t.token(256));
        assertThrows(IllegalArgumentException.class, () -> t.token(32000));
        assertArrayEquals(new int[] {1, 22557, 28725, 1526, 28808}, t.encode("Hello, world!", true));
        assertEquals("Hello, world!", t.decode(new int[] {1, 22557, 28725, 1526, 28808}, true));
        assertEquals("<s> Hello, world!</s>", t.decode(new int[] {1, 22557, 28725, 1526, 28808, 2}, false));
        // Special tokens written in the text are recognised even without addSpecialTokens.
        assertArrayEquals(new int[] {22557, 2}, t.encode("Hello</s>", false));
    }

    @Test
    void qwen3VocabularyAndSpecialTokens() {
        Tokenizer t = shared("qwen3");
        assertEquals(151669, t.vocabSize());
        assertEquals(OptionalInt.empty(), t.bosId());
        assertArrayEquals(new int[] {151645}, t.eosIds());
        assertEquals("ĠĠ", t.token(256));
        assertEquals("<|im_end|>", t.token(151645));
        int[] ids = t.encode("<think>\nplan</think>answer<|im_end|>", true);
        assertEquals(151667, ids[0]);
        assertTrue(contains(ids, 151668) && ids[ids.length - 1] == 151645, java.util.Arrays.toString(ids));
        assertEquals("\nplananswer", t.decode(t.encode("<|im_start|>\nplan<|im_end|>answer", false), true));
    }

    @Test
    void gptOssVocabularyAndSpecialTokens() {
        Tokenizer t = shared("gpt-oss");
        assertEquals(200019, t.vocabSize());
        assertEquals(OptionalInt.of(199998), t.bosId());
        assertArrayEquals(new int[] {200002}, t.eosIds());
        assertArrayEquals(t.encode("Hello", false), t.encode("Hello", true));
        assertArrayEquals(new int[] {200005}, t.encode("<|channel|>", false));
    }

    @Test
    void roundTripsMistral() {
        Tokenizer t = mistral();
        for (String s : SAMPLES) assertEquals(s, t.decode(t.encode(s, false), false), () -> "round trip of " + s);
    }

    @Test
    void roundTripsQwen3AfterNfc() {
        Tokenizer t = shared("qwen3");
        for (String s : SAMPLES) assertEquals(Normalizer.normalize(s, Normalizer.Form.NFC), t.decode(t.encode(s, false), false), () -> "round trip of " + s);
    }

    @Test
    void roundTripsGptOss() {
        Tokenizer t = shared("gpt-oss");
        for (String s : SAMPLES) assertEquals(s, t.decode(t.encode(s, false), false), () -> "round trip of " + s);
    }

    @Test
    void streamingNeverEmitsHalfACharacter() {
        List<Tokenizer> all = new ArrayList<>(List.of(mistral()));
        for (String name : List.of("qwen3", "gpt-oss")) {
            if (Files.isRegularFile(TokenizerFixtures.shared(name).resolve("tokenizer.json"))) all.add(TokenizerFixtures.load(TokenizerFixtures.shared(name)));
        }
        for (Tokenizer t : all) {
            for (String s : SAMPLES) {
                String expected = t.decode(t.encode(s, false), false);
                StreamDecoder d = t.newStreamDecoder();
                StringBuilder b = new StringBuilder();
                for (int id : t.encode(s, false)) {
                    String piece = d.feed(id);
                    assertFalse(piece.contains("\uFFFD"), () -> "partial character emitted for " + s);
                    if (!piece.isEmpty()) assertFalse(Character.isHighSurrogate(piece.charAt(piece.length() - 1)), "split surrogate pair");
                    b.append(piece);
                }
                b.append(d.flush());
                assertEquals(expected, b.toString(), () -> "streamed decode of " + s);
            }
        }
    }

    @Test
    void streamingHoldsByteFallbackUntilComplete() {
        Tokenizer t = mistral();
        int[] ids = t.encode("Ｆ", false); // "▁" then the three byte tokens of U+FF26
        assertArrayEquals(new int[] {28705, 242, 191, 169}, ids);
        StreamDecoder d = t.newStreamDecoder();
        assertEquals("", d.feed(28705)); // the leading space is stripped, as decode() does
        assertEquals("", d.feed(242));
        assertEquals("", d.feed(191));
        assertEquals("Ｆ", d.feed(169));
        assertEquals(" x", d.feed(1318));
    }

    @Test
    void unknownIdsAndInvalidBytesDoNotThrow() {
        Tokenizer t = mistral();
        assertEquals("", t.decode(new int[] {-1, 32000, Integer.MAX_VALUE}, false));
        assertEquals("\uFFFD", t.decode(new int[] {258}, false)); // <0xFF> is never valid UTF-8
        assertEquals("\uFFFD\uFFFD a", t.decode(new int[] {242, 191, 264}, false)); // truncated sequence (one U+FFFD per byte), then "▁a"
        StreamDecoder d = t.newStreamDecoder();
        assertEquals("", d.feed(99_999));
        assertEquals("", d.feed(258));
        assertEquals("\uFFFD", d.flush());
    }

    @Test
    void byteLevelInvalidBytesBecomeReplacementCharacters() {
        Tokenizer t = shared("qwen3");
        int[] partial = {37523, 11162, 248}; // "emoji", then " " with the first byte of 🚀, then its second byte only
        assertEquals("emoji \uFFFD", t.decode(partial, false));
        StreamDecoder d = t.newStreamDecoder();
        StringBuilder b = new StringBuilder();
        for (int id : partial) b.append(d.feed(id));
        assertEquals("emoji", b.toString()); // the space shares a token with the incomplete character
        assertEquals(" \uFFFD", d.flush());
    }

    @Test
    void addedTokenFlagsStripWhitespaceAndNeverMerge(@TempDir Path dir) throws Exception {
        String json = """
                {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, " ": 2, "ab": 3, "<": 4, "x": 5, ">": 6},
                           "merges": ["a b"]},
                 "added_tokens": [
                   {"id": 7, "content": "<x>", "single_word": false, "lstrip": %s, "rstrip": %s, "normalized": false, "special": true}]}
                """;
        Files.writeString(dir.resolve("tokenizer.json"), json.formatted("true", "true"));
        Tokenizer stripping = Tokenizer.load(dir);
        assertArrayEquals(new int[] {3, 7, 1}, stripping.encode("ab  <x> b", false));
        assertArrayEquals(new int[] {0, 7, 1}, stripping.encode("a<x>b", false)); // "a" and "b" are not merged across the token
        Files.writeString(dir.resolve("tokenizer.json"), json.formatted("false", "false"));
        Tokenizer plain = Tokenizer.load(dir);
        assertArrayEquals(new int[] {3, 2, 2, 7, 2, 1}, plain.encode("ab  <x> b", false));
        assertEquals(8, plain.vocabSize());
        assertEquals(OptionalInt.empty(), plain.bosId());
        assertEquals(0, plain.eosIds().length);
        // Without a decoder the reference joins tokens with spaces.
        assertEquals("ab <x> b", plain.decode(new int[] {3, 7, 1}, false));
        assertEquals("ab b", plain.decode(new int[] {3, 7, 1}, true));
    }

    @Test
    void generationConfigAddsEosIds(@TempDir Path dir) throws Exception {
        Path src = TokenizerFixtures.mistral();
        Files.copy(src.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.copy(src.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        Files.writeString(dir.resolve("generation_config.json"), "{\"bos_token_id\": 1, \"eos_token_id\": [2, 0]}");
        Tokenizer t = Tokenizer.load(dir.resolve("tokenizer.json"));
        assertArrayEquals(new int[] {2, 0}, t.eosIds());
        assertEquals(OptionalInt.of(1), t.bosId());
    }

    @Test
    void longWordsMergeLikeShortOnes() {
        // Mistral has no pre-tokenizer: the whole text is one BPE word, merged with the heap.
        Tokenizer t = mistral();
        String para = "Mixture-of-Experts models route each token to 2 of 8 experts. ".repeat(200);
        int[] ids = t.encode(para, false);
        assertEquals(para, t.decode(ids, false));
        int[] once = t.encode("Mixture-of-Experts models route each token to 2 of 8 experts.", false);
        assertArrayEquals(once, java.util.Arrays.copyOf(ids, once.length));
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) if (x == v) return true;
        return false;
    }
}
