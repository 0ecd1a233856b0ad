// Parity of the hand-written split scanners with java.util.regex running the same pattern (the
// specification), over random strings from an alphabet of awkward characters and over fixed cases.
package io.strata.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

class SplitScannerParityTest {
    /** Letters of every case class, marks, numbers of every kind, Unicode spaces and breaks, apostrophes, slashes, emoji, surrogates. */
    private static final String[] ALPHABET = {
        "a", "b", "s", "t", "d", "m", "l", "r", "e", "v", "S", "T", "D", "M", "L", "R", "E", "V", "Q", "ſ", "K", "İ", "ǅ",
        "ʰ", "ー", "中", "文", "ß", "é", "É", "\u0301", "\u20DD", "\u0903", "я", "Я", "ग", "\u094C", "한",
        "0", "7", "٣", "Ⅻ", "½", "²", "𝟘",
        " ", " ", " ", "\t", "\n", "\r", "\u000B", "\f", "\u0085", "\u00A0", "\u2028", "\u3000", "\u200B", "\uFEFF",
        "'", "'", "’", "/", "-", ".", ",", "!", "(", "#", "_", "😀", "👩‍", "🚀", "\uD800", "\uDC00", "\u0000",
    };

    private static List<int[]> regexSpans(Pattern p, String s) {
        List<int[]> spans = new ArrayList<>();
        Matcher m = p.matcher(s);
        while (m.find()) if (m.end() > m.start()) spans.add(new int[] {m.start(), m.end()});
        return spans;
    }

    private static List<int[]> scannerSpans(SplitScanner sc, String s) {
        List<int[]> spans = new ArrayList<>();
        for (int i = 0; i < s.length(); ) {
            int end = sc.matchAt(s, i);
            if (end <= i) {
                i += Character.charCount(s.codePointAt(i));
                continue;
            }
            spans.add(new int[] {i, end});
            i = end;
        }
        return spans;
    }

    private static String show(List<int[]> spans, String s) {
        StringBuilder b = new StringBuilder();
        for (int[] sp : spans) b.append('[').append(s, sp[0], sp[1]).append(']');
        return b.toString().replace("\n", "\\n").replace("\r", "\\r");
    }

    private static void check(String regex, List<String> texts) throws Exception {
        Pattern p = Json.regex(regex, "test", "Split");
        SplitScanner sc = SplitScanner.forRegex(regex);
        assertNotNull(sc);
        for (String s : texts) {
            List<int[]> expected = regexSpans(p, s), found = scannerSpans(sc, s);
            assertEquals(show(expected, s), show(found, s), () -> "text " + s.codePoints().mapToObj(Integer::toHexString).toList());
        }
    }

    private static List<String> texts() {
        List<String> texts = new ArrayList<>(TokenizerTest.SAMPLES);
        texts.addAll(List.of("it's IT'S it'S we'RE they'VE I'M he'LL she'D 'ſ 'K", "HELLOworld HELLO world helloWORLD",
                "  \n\n  x \r\n\t y  ", "a/b//c\n/", "é\u0301\u0301x", "\u0301abc", " \u0301", "😀😀 a😀", "123456789 ١٢٣٤"));
        Random r = new Random(42);
        for (int n = 0; n < 20_000; n++) {
            StringBuilder b = new StringBuilder();
            int len = 1 + r.nextInt(n % 10 == 0 ? 60 : 12);
            for (int k = 0; k < len; k++) b.append(ALPHABET[r.nextInt(ALPHABET.length)]);
            texts.add(b.toString());
        }
        return texts;
    }

    @Test
    void shippedPatternsUseTheScanners() throws Exception {
        for (String name : List.of("qwen3", "gpt-oss")) {
            java.nio.file.Path json = TokenizerFixtures.shared(name).resolve("tokenizer.json");
            org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isRegularFile(json), "no tokenizer at " + json);
            PreTokenizer p = PreTokenizer.fromJson(new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile()).get("pre_tokenizer"), name);
            PreTokenizer.Split split = (PreTokenizer.Split) ((PreTokenizer.Sequence) p).parts().get(0);
            assertNotNull(split.scanner(), name + " should use its hand-written scanner");
        }
    }

    @Test
    void qwenScannerMatchesRegex() throws Exception {
        check(SplitScanner.QWEN, texts());
    }

    @Test
    void gpt2ScannerMatchesRegex() throws Exception {
        check(SplitScanner.GPT2, texts());
    }

    @Test
    void o200kScannerMatchesRegex() throws Exception {
        check(SplitScanner.O200K, texts());
    }
}
