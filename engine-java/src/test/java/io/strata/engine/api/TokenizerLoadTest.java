// A model folder's tokenizer: the same tokenizer as the file read alone, none where the folder has none, and a broken
// tokenizer.json fails the model's load with the file and what was wrong.
package io.strata.engine.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.engine.tokenizer.Tokenizer;
import io.strata.engine.tokenizer.TokenizerFormatException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerLoadTest {
    static final Path TINY = EngineOptionsTest.TINY;
    static final EngineOptions CPU = EngineOptions.builder().backend("cpu").context(64).build();
    /** A small Mixtral-shaped store's shape (hidden 256, 2 layers of 4 experts). */
    static final io.strata.engine.synth.SyntheticCheckpoint.Spec SMALL = new io.strata.engine.synth.SyntheticCheckpoint.Spec(
            io.strata.engine.model.Architecture.MIXTRAL, 256, 128, 2, 4, 2, 32, 4, 2, 192, 0, io.strata.compression.DType.BF16, 3, 1L << 30);

    @TempDir
    Path tmp;

    /** A checkpoint folder with tiny-moe's config and weights (linked) and the given tokenizer.json, or none. */
    Path folder(String tokenizerJson) throws Exception {
        Path d = Files.createDirectories(tmp.resolve("m"));
        Files.copy(TINY.resolve("config.json"), d.resolve("config.json"));
        Files.createSymbolicLink(d.resolve("model.safetensors"), TINY.resolve("model.safetensors").toAbsolutePath());
        if (tokenizerJson != null) Files.writeString(d.resolve("tokenizer.json"), tokenizerJson);
        return d;
    }

    @Test
    void theModelsTokenizerEncodesAsTheFileReadAlone() throws Exception {
        Tokenizer alone = Tokenizer.load(TINY);
        try (StrataModel m = StrataModel.load(TINY, CPU)) {
            String text = "And the LORD said unto Moses, Go in unto Pharaoh.";
            assertArrayEquals(alone.encode(text, true), m.tokenizer().encode(text, true));
        }
    }

    @Test
    void aFolderWithoutTokenizerLoadsAndAsksForTokenIds() throws Exception {
        Path d = folder(null);
        try (StrataModel m = StrataModel.load(d, CPU)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, m::tokenizer);
            assertTrue(e.getMessage().contains(d + ": no tokenizer.json") && e.getMessage().contains("token ids"), e.getMessage());
        }
    }

    @Test
    void aBrokenTokenizerFailsTheLoadNamingTheFile() throws Exception {
        Path d = folder("{\"model\": ");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> StrataModel.load(d, CPU));
        TokenizerFormatException t = assertInstanceOf(TokenizerFormatException.class, e.getCause());
        assertTrue(t.getMessage().contains(d.resolve("tokenizer.json").toString()) && t.getMessage().contains("malformed JSON"), t.getMessage());
    }

    /** A packed store reads its tokenizer beside its weights too: a good one is there after the load, a broken one fails it. */
    @Test
    void aStoresTokenizerLoadsWithItAndABrokenOneFailsTheLoad() throws Exception {
        Path store = io.strata.engine.synth.SyntheticStore.write(SMALL, "int8", tmp.resolve("store"), false);
        Files.copy(TINY.resolve("tokenizer.json"), store.resolve("tokenizer.json"));
        try (StrataModel m = StrataModel.load(store, CPU)) {
            assertArrayEquals(Tokenizer.load(TINY).encode("And the LORD said", true), m.tokenizer().encode("And the LORD said", true));
        }
        Files.writeString(store.resolve("tokenizer.json"), "{\"model\": 3}");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> StrataModel.load(store, CPU));
        TokenizerFormatException t = assertInstanceOf(TokenizerFormatException.class, e.getCause());
        assertTrue(t.getMessage().contains(store.resolve("tokenizer.json").toString()) && t.getMessage().contains("expected a \"model\" object"), t.getMessage());
    }
}
