// Small helpers for reading tokenizer.json fields with errors that name the file and the field.
package io.strata.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

final class Json {
    private Json() {}

    static String type(JsonNode node, String file, String component) throws TokenizerFormatException {
        JsonNode t = node.get("type");
        if (t == null || !t.isTextual()) {
            throw new TokenizerFormatException(file + ": " + component + " has no \"type\" field (found " + abbreviate(node) + ")");
        }
        return t.asText();
    }

    static String text(JsonNode node, String field, String file, String component) throws TokenizerFormatException {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new TokenizerFormatException(file + ": " + component + " expected string field \"" + field
                    + "\", found " + (v == null ? "nothing" : abbreviate(v)));
        }
        return v.asText();
    }

    static String textOr(JsonNode node, String field, String fallback) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? fallback : v.asText();
    }

    static boolean bool(JsonNode node, String field, boolean fallback) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? fallback : v.asBoolean();
    }

    static JsonNode array(JsonNode node, String field, String file, String component) throws TokenizerFormatException {
        JsonNode v = node.get(field);
        if (v == null || !v.isArray()) throw notArray(node, field, file, component);
        return v;
    }

    /** The error for a field that should be an array and is absent or something else. */
    static TokenizerFormatException notArray(JsonNode node, String field, String file, String component) {
        JsonNode v = node.get(field);
        return new TokenizerFormatException(file + ": " + component + " expected array field \"" + field
                + "\", found " + (v == null ? "nothing" : abbreviate(v)));
    }

    /**
     * A pattern field of the form {"String": "literal"} or {"Regex": "oniguruma regex"}, compiled for
     * java.util.regex. Oniguruma's \s and \w are Unicode-aware, so the Java pattern is compiled with
     * UNICODE_CHARACTER_CLASS; script names such as \p{Han} are rewritten to Java's \p{IsHan}.
     */
    static Pattern pattern(JsonNode node, String field, String file, String component) throws TokenizerFormatException {
        JsonNode p = node.get(field);
        if (p == null || !p.isObject()) {
            throw new TokenizerFormatException(file + ": " + component + " expected object field \"" + field
                    + "\" with \"String\" or \"Regex\", found " + (p == null ? "nothing" : abbreviate(p)));
        }
        if (p.has("String")) return Pattern.compile(Pattern.quote(p.get("String").asText()));
        if (p.has("Regex")) return regex(p.get("Regex").asText(), file, component);
        throw new TokenizerFormatException(file + ": " + component + " pattern must have \"String\" or \"Regex\", found " + abbreviate(p));
    }

    static Pattern regex(String onig, String file, String component) throws TokenizerFormatException {
        try {
            return Pattern.compile(onig, Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException first) {
            String java = onig.replaceAll("\\\\([pP])\\{([A-Za-z_]{3,})\\}", "\\\\$1{Is$2}");
            try {
                return Pattern.compile(java, Pattern.UNICODE_CHARACTER_CLASS);
            } catch (PatternSyntaxException e) {
                throw new TokenizerFormatException(file + ": " + component + " regex cannot be translated to java.util.regex: "
                        + e.getDescription() + " in /" + onig + "/", e);
            }
        }
    }

    static String abbreviate(JsonNode node) {
        String s = node.toString();
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }
}
