// Normalizers of tokenizer.json: the string rewrites applied to each piece of input text (between
// added tokens) before pre-tokenization, e.g. NFC for Qwen3 and Prepend/Replace ("▁") for Mistral.
package io.strata.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

interface Normalizer {
    String normalize(String s);

    static Normalizer fromJson(JsonNode node, String file) throws TokenizerFormatException {
        String type = Json.type(node, file, "normalizer");
        return switch (type) {
            case "NFC" -> new Unicode(java.text.Normalizer.Form.NFC);
            case "NFD" -> new Unicode(java.text.Normalizer.Form.NFD);
            case "NFKC" -> new Unicode(java.text.Normalizer.Form.NFKC);
            case "NFKD" -> new Unicode(java.text.Normalizer.Form.NFKD);
            case "Lowercase" -> s -> s.toLowerCase(Locale.ROOT);
            case "Prepend" -> new Prepend(Json.text(node, "prepend", file, "Prepend normalizer"));
            case "Replace" -> new Replace(Json.pattern(node, "pattern", file, "Replace normalizer"),
                    Json.text(node, "content", file, "Replace normalizer"));
            case "Strip" -> new Strip(Json.bool(node, "strip_left", true), Json.bool(node, "strip_right", true));
            case "StripAccents" -> new StripAccents();
            case "Sequence" -> {
                List<Normalizer> parts = new ArrayList<>();
                for (JsonNode n : Json.array(node, "normalizers", file, "Sequence normalizer")) parts.add(fromJson(n, file));
                yield new Sequence(parts);
            }
            default -> throw new TokenizerFormatException(file + ": unsupported normalizer type '" + type + "'");
        };
    }

    record Unicode(java.text.Normalizer.Form form) implements Normalizer {
        @Override
        public String normalize(String s) {
            // The check is much cheaper than normalizing, and most text is already in NFC.
            return java.text.Normalizer.isNormalized(s, form) ? s : java.text.Normalizer.normalize(s, form);
        }
    }

    /** Prepends a string to non-empty input (SentencePiece's "▁" word marker). */
    record Prepend(String prepend) implements Normalizer {
        @Override
        public String normalize(String s) {
            return s.isEmpty() ? s : prepend + s;
        }
    }

    record Replace(Pattern pattern, String content) implements Normalizer {
        @Override
        public String normalize(String s) {
            return pattern.matcher(s).replaceAll(Matcher.quoteReplacement(content));
        }
    }

    record Strip(boolean left, boolean right) implements Normalizer {
        @Override
        public String normalize(String s) {
            if (left) s = s.stripLeading();
            if (right) s = s.stripTrailing();
            return s;
        }
    }

    /** Removes combining marks (after decomposition, as the reference does when preceded by NFD). */
    final class StripAccents implements Normalizer {
        private static final Pattern MARKS = Pattern.compile("\\p{Mn}+");

        @Override
        public String normalize(String s) {
            return MARKS.matcher(s).replaceAll("");
        }
    }

    record Sequence(List<Normalizer> parts) implements Normalizer {
        @Override
        public String normalize(String s) {
            for (Normalizer n : parts) s = n.normalize(s);
            return s;
        }
    }
}
