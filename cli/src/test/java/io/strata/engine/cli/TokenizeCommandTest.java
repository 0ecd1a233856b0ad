// Tests of `strata tokenize` on the Mistral tokenizer in test resources: output format, special
// tokens, id parsing and the exit status and message for bad input.
package io.strata.engine.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizeCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = new CommandLine(new TokenizeCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    private static String mistral() throws Exception {
        // The tokenizer fixtures live with the tokenizer's own tests in engine-java.
        return Path.of(System.getProperty("strata.root", ".."), "engine-java", "src", "test", "resources", "tokenizer", "mistral-spm-32k")
                .toString();
    }

    @Test
    void encodesToJsonArray() throws Exception {
        assertEquals(0, run("--tokenizer", mistral(), "--text", "Hello, world!"));
        assertEquals("[22557,28725,1526,28808]", out.toString().strip());
    }

    @Test
    void addSpecialPrependsBos() throws Exception {
        assertEquals(0, run("--tokenizer", mistral() + "/tokenizer.json", "--text", "Hello, world!", "--add-special"));
        assertEquals("[1,22557,28725,1526,28808]", out.toString().strip());
    }

    @Test
    void decodesJsonArrayAndCommaList() throws Exception {
        assertEquals(0, run("--tokenizer", mistral(), "--decode", "[22557, 28725, 1526, 28808]"));
        assertEquals("Hello, world!", out.toString().strip());
        out.getBuffer().setLength(0);
        assertEquals(0, run("--tokenizer", mistral(), "--decode", "1,22557,28725,1526,28808", "--skip-special"));
        assertEquals("Hello, world!", out.toString().strip());
    }

    @Test
    void badIdsExitWithTwo() throws Exception {
        assertEquals(2, run("--tokenizer", mistral(), "--decode", "[1, two]"));
        assertTrue(err.toString().contains("'two'"), err.toString());
    }

    @Test
    void missingTokenizerNamesTheFile(@TempDir Path dir) {
        assertEquals(2, run("--tokenizer", dir.toString(), "--text", "x"));
        assertTrue(err.toString().contains(dir.resolve("tokenizer.json").toString()), err.toString());
    }

    @Test
    void unsupportedTokenizerNamesFileAndComponent(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), """
                {"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
                 "pre_tokenizer": {"type": "Whitespace"}}""");
        assertEquals(2, run("--tokenizer", dir.toString(), "--text", "x"));
        assertTrue(err.toString().contains("tokenizer.json: unsupported pre_tokenizer type 'Whitespace'"), err.toString());
    }

    @Test
    void textAndDecodeAreExclusive() throws Exception {
        assertEquals(2, run("--tokenizer", mistral(), "--text", "a", "--decode", "1"));
    }
}
