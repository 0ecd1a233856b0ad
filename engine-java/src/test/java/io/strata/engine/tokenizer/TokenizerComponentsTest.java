// Unit tests of the tokenizer.json components against the behaviour the reference documents:
// Split behaviors, Metaspace, regex translation, and load errors that name file and component.
package io.strata.engine.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizerComponentsTest {

    private static List<String> split(PreTokenizer p, String s) {
        List<String> out = new ArrayList<>();
        p.split(s, true, out);
        return out;
    }

    @Test
    void splitBehaviorsMatchTheReferenceDocumentation() {
        // The example of tokenizers' SplitDelimiterBehavior documentation: "the-final--countdown" split on '-'.
        Pattern dash = Pattern.compile("-");
        String s = "the-final--countdown";
        assertEquals(List.of("the", "final", "countdown"), split(new PreTokenizer.Split(dash, PreTokenizer.Behavior.REMOVED, false), s));
        assertEquals(List.of("the", "-", "final", "-", "-", "countdown"), split(new PreTokenizer.Split(dash, PreTokenizer.Behavior.ISOLATED, false), s));
        assertEquals(List.of("the-", "final-", "-", "countdown"), split(new PreTokenizer.Split(dash, PreTokenizer.Behavior.MERGED_WITH_PREVIOUS, false), s));
        assertEquals(List.of("the", "-final", "-", "-countdown"), split(new PreTokenizer.Split(dash, PreTokenizer.Behavior.MERGED_WITH_NEXT, false), s));
        assertEquals(List.of("the", "-", "final", "--", "countdown"), split(new PreTokenizer.Split(dash, PreTokenizer.Behavior.CONTIGUOUS, false), s));
        assertEquals(List.of("-", "-", "-"), split(new PreTokenizer.Split(dash, PreTokenizer.Behavior.REMOVED, true), s));
    }

    @Test
    void metaspaceMarksAndSplitsWords() {
        assertEquals(List.of("▁Hey", "▁friend"), split(new PreTokenizer.Metaspace("▁", "always", true), "Hey friend"));
        assertEquals(List.of("▁Hey▁friend"), split(new PreTokenizer.Metaspace("▁", "always", false), "Hey friend"));
        List<String> out = new ArrayList<>();
        new PreTokenizer.Metaspace("▁", "first", true).split("Hey", false, out);
        assertEquals(List.of("Hey"), out);
    }

    @Test
    void byteLevelUsesTheGpt2Alphabet() {
        assertEquals("ĠHello", ByteLevel.encode(" Hello"));
        assertEquals("Ċ", ByteLevel.encode("\n"));
        assertEquals("Ã©", ByteLevel.encode("é"));
        for (int b = 0; b < 256; b++) assertEquals(b, ByteLevel.byteOf(ByteLevel.charOf(b)));
        assertEquals(List.of("Hello", ",", "Ġworld"), split(new PreTokenizer.ByteLevelSplit(false, true), "Hello, world"));
        assertEquals(List.of("ĠHello"), split(new PreTokenizer.ByteLevelSplit(true, true), "Hello"));
    }

    @Test
    void onigurumaScriptNamesAreTranslated() throws Exception {
        Pattern p = Json.regex("\\p{Han}+|\\s+(?!\\S)", "t.json", "Split pre_tokenizer");
        assertTrue(p.matcher("中文").matches());
        // \s is Unicode-aware as in Oniguruma: U+3000 (ideographic space) is whitespace.
        assertTrue(Json.regex("\\s", "t.json", "x").matcher("\u3000").matches());
    }

    private static String loadError(Path dir, String json) throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), json);
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("tokenizer.json") + ": "), e.getMessage());
        return e.getMessage();
    }

    private static final String MODEL = "\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": [\"a b\"]}";

    @Test
    void unsupportedComponentsAreNamed(@TempDir Path dir) throws Exception {
        assertTrue(loadError(dir, "{" + MODEL + ", \"pre_tokenizer\": {\"type\": \"Whitespace\"}}")
                .endsWith("tokenizer.json: unsupported pre_tokenizer type 'Whitespace'"));
        assertTrue(loadError(dir, "{" + MODEL + ", \"normalizer\": {\"type\": \"Precompiled\", \"precompiled_charsmap\": \"\"}}")
                .contains("unsupported normalizer type 'Precompiled'"));
        assertTrue(loadError(dir, "{" + MODEL + ", \"decoder\": {\"type\": \"WordPiece\"}}")
                .contains("unsupported decoder type 'WordPiece'"));
        assertTrue(loadError(dir, "{" + MODEL + ", \"post_processor\": {\"type\": \"Nonsense\"}}")
                .contains("unsupported post_processor type 'Nonsense'"));
        assertTrue(loadError(dir, "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}")
                .contains("unsupported model type 'Unigram'"));
        assertTrue(loadError(dir, "{" + MODEL + ", \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": \"a\"}, \"behavior\": \"Sideways\"}]}}")
                .contains("unsupported behavior 'Sideways'"));
    }

    @Test
    void malformedFilesSayWhatWasExpected(@TempDir Path dir) throws Exception {
        assertTrue(loadError(dir, "{\"model\": ").contains("malformed JSON"));
        assertTrue(loadError(dir, "[]").contains("expected a JSON object"));
        assertTrue(loadError(dir, "{\"version\": \"1.0\"}").contains("expected a \"model\" object"));
        assertTrue(loadError(dir, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a c\"]}}")
                .contains("merge 0 (\"a\", \"c\") refers to a token missing from the vocab"));
        assertTrue(loadError(dir, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": \"x\"}, \"merges\": []}}")
                .contains("vocab entry 'a' expected a non-negative integer id"));
        assertTrue(loadError(dir, "{" + MODEL + ", \"normalizer\": {\"type\": \"Replace\", \"content\": \"x\"}}")
                .contains("Replace normalizer expected object field \"pattern\""));
        assertThrows(NoSuchFileException.class, () -> Tokenizer.load(dir.resolve("missing")));
        // The model's sections are streamed; what is not what they should be is named as the tree reader named it.
        String[][] cases = { // {tokenizer.json, the end of the error}
                {"{\"model\": 3}", "expected a \"model\" object, found 3"},
                {bpe("[]", "[]"), "model expected a \"vocab\" object, found []"},
                {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}}", "model expected array field \"merges\", found nothing"},
                {bpe("{\"a\": 0}", "{}"), "model expected array field \"merges\", found {}"},
                {bpe("{\"a\": -1}", "[]"), "vocab entry 'a' expected a non-negative integer id, found -1"},
                {bpe("{\"a\": 4294967296}", "[]"), "vocab entry 'a' expected a non-negative integer id, found 4294967296"},
                {bpe("{\"a\": 0}", "[\"a b c\"]"), "merge 0 expected \"left right\", found \"a b c\""},
                {bpe("{\"a\": 0}", "[[\"a\"]]"), "merge 0 expected \"left right\" or [left, right], found [\"a\"]"},
                {bpe("{\"a\": 0}", "[[\"a\", \"b\", \"c\"]]"), "merge 0 expected \"left right\" or [left, right], found [\"a\", \"b\", \"c\" ...]"},
                {bpe("{\"a\": 0}", "[\"a b\", [1, 2]]"), "merge 1 expected \"left right\" or [left, right], found [1 ...]"},
                {bpe("{\"a\": 0}", "[{\"a\": \"b\"}]"), "merge 0 expected \"left right\" or [left, right], found {\"a\":\"b\"}"},
        };
        for (String[] c : cases) {
            String e = loadError(dir, c[0]);
            assertTrue(e.endsWith(c[1]), c[0] + " -> " + e);
        }
        assertTrue(loadError(dir, bpe("{\"a\": 0}", "[\"a b\"]").replaceFirst("}$", "")).contains("malformed JSON"));
    }

    /** A tokenizer.json whose BPE model has this vocab and these merges (JSON text). */
    private static String bpe(String vocab, String merges) {
        return "{\"model\": {\"type\": \"BPE\", \"vocab\": " + vocab + ", \"merges\": " + merges + "}}";
    }

    /** Sections in any order (merges before the vocab, the model first) give the same tokenizer. */
    @Test
    void sectionOrderDoesNotMatter(@TempDir Path dir) throws Exception {
        Path original = TokenizerFixtures.mistral();
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(original.resolve("tokenizer.json").toFile());
        ObjectNode model = (ObjectNode) root.get("model");
        ObjectNode reordered = json.createObjectNode(), reorderedModel = json.createObjectNode();
        List<String> modelFields = new ArrayList<>();
        model.fieldNames().forEachRemaining(modelFields::add);
        Collections.reverse(modelFields);
        assertTrue(modelFields.indexOf("merges") < modelFields.indexOf("vocab"), modelFields.toString());
        for (String f : modelFields) reorderedModel.set(f, model.get(f));
        reordered.set("model", reorderedModel);
        root.fieldNames().forEachRemaining(f -> { if (!f.equals("model")) reordered.set(f, root.get(f)); });
        json.writeValue(dir.resolve("tokenizer.json").toFile(), reordered);
        for (String f : List.of("tokenizer_config.json", "generation_config.json")) {
            if (Files.exists(original.resolve(f))) Files.copy(original.resolve(f), dir.resolve(f));
        }
        Tokenizer a = Tokenizer.load(original), b = Tokenizer.load(dir);
        assertEquals(a.vocabSize(), b.vocabSize());
        for (String s : TokenizerTest.SAMPLES) assertArrayEquals(a.encode(s, true), b.encode(s, true), s);
    }

    @Test
    void configNamingAMissingTokenIsAnError(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), "{" + MODEL + "}");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\"}");
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("tokenizer_config.json: eos_token '</s>' is neither an added token nor in the vocab"), e.getMessage());
    }
}
