// Pre-tokenizers of tokenizer.json: they cut normalized text into words that BPE encodes one at a
// time (Split with the Qwen3 / o200k regex, ByteLevel, Metaspace, Digits, Sequence).
package io.strata.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

interface PreTokenizer {
    /**
     * Appends the words of {@code piece} to {@code out}.
     *
     * @param first whether the piece starts the input text (Metaspace's prepend_scheme "first")
     */
    void split(String piece, boolean first, List<String> out);

    static PreTokenizer fromJson(JsonNode node, String file) throws TokenizerFormatException {
        String type = Json.type(node, file, "pre_tokenizer");
        return switch (type) {
            case "Split" -> {
                Pattern pattern = Json.pattern(node, "pattern", file, "Split pre_tokenizer");
                SplitScanner scanner = node.path("pattern").has("Regex") ? SplitScanner.forRegex(node.get("pattern").get("Regex").asText()) : null;
                yield new Split(pattern, behavior(Json.textOr(node, "behavior", "Isolated"), file, "Split pre_tokenizer"),
                        Json.bool(node, "invert", false), scanner);
            }
            case "ByteLevel" -> new ByteLevelSplit(Json.bool(node, "add_prefix_space", false), Json.bool(node, "use_regex", true));
            case "Metaspace" -> new Metaspace(Json.textOr(node, "replacement", "\u2581"),
                    prependScheme(node, file), Json.bool(node, "split", true));
            case "Digits" -> new Split(Pattern.compile("\\p{N}"),
                    Json.bool(node, "individual_digits", false) ? Behavior.ISOLATED : Behavior.CONTIGUOUS, false, null);
            case "Sequence" -> {
                List<PreTokenizer> parts = new ArrayList<>();
                for (JsonNode n : Json.array(node, "pretokenizers", file, "Sequence pre_tokenizer")) parts.add(fromJson(n, file));
                yield new Sequence(parts);
            }
            default -> throw new TokenizerFormatException(file + ": unsupported pre_tokenizer type '" + type + "'");
        };
    }

    /** Metaspace's "prepend_scheme" (always / first / never), or the older boolean "add_prefix_space". */
    static String prependScheme(JsonNode node, String file) throws TokenizerFormatException {
        if (node.hasNonNull("prepend_scheme")) {
            String s = node.get("prepend_scheme").asText();
            if (!s.equals("always") && !s.equals("first") && !s.equals("never")) {
                throw new TokenizerFormatException(file + ": Metaspace prepend_scheme expected always|first|never, found '" + s + "'");
            }
            return s;
        }
        return Json.bool(node, "add_prefix_space", true) ? "always" : "never";
    }

    enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    static Behavior behavior(String name, String file, String component) throws TokenizerFormatException {
        return switch (name) {
            case "Removed" -> Behavior.REMOVED;
            case "Isolated" -> Behavior.ISOLATED;
            case "MergedWithPrevious" -> Behavior.MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> Behavior.MERGED_WITH_NEXT;
            case "Contiguous" -> Behavior.CONTIGUOUS;
            default -> throw new TokenizerFormatException(file + ": " + component + " unsupported behavior '" + name + "'");
        };
    }

    /**
     * Splits on the matches of a pattern and keeps, drops or attaches them as the behavior says.
     *
     * @param scanner a hand-written matcher equivalent to {@code pattern}, or null to use the regex
     */
    record Split(Pattern pattern, Behavior behavior, boolean invert, SplitScanner scanner) implements PreTokenizer {
        Split(Pattern pattern, Behavior behavior, boolean invert) {
            this(pattern, behavior, invert, null);
        }

        @Override
        public void split(String s, boolean first, List<String> out) {
            if (s.isEmpty()) return;
            // spans: (start, end, isMatch) triples in text order, packed flat; units are chars of s
            int[] spans = new int[24];
            int n = 0;
            int last = 0;
            if (scanner != null) {
                for (int i = 0; i < s.length(); ) {
                    int end = scanner.matchAt(s, i);
                    if (end <= i) {
                        i += Character.charCount(s.codePointAt(i));
                        continue;
                    }
                    if (i > last) spans = push(spans, n++, last, i, invert);
                    spans = push(spans, n++, i, end, !invert);
                    last = i = end;
                }
            } else {
                Matcher m = pattern.matcher(s);
                while (m.find()) {
                    if (m.start() == m.end()) continue;
                    if (m.start() > last) spans = push(spans, n++, last, m.start(), invert);
                    spans = push(spans, n++, m.start(), m.end(), !invert);
                    last = m.end();
                }
            }
            if (last < s.length()) spans = push(spans, n++, last, s.length(), invert);
            emit(s, spans, n, behavior, out);
        }

        private static int[] push(int[] spans, int i, int start, int end, boolean isMatch) {
            if (3 * i + 3 > spans.length) spans = java.util.Arrays.copyOf(spans, spans.length * 2);
            spans[3 * i] = start;
            spans[3 * i + 1] = end;
            spans[3 * i + 2] = isMatch ? 1 : 0;
            return spans;
        }

        static void emit(String s, int[] spans, int n, Behavior behavior, List<String> out) {
            switch (behavior) {
                case ISOLATED -> {
                    for (int i = 0; i < n; i++) out.add(s.substring(spans[3 * i], spans[3 * i + 1]));
                }
                case REMOVED -> {
                    for (int i = 0; i < n; i++) if (spans[3 * i + 2] == 0) out.add(s.substring(spans[3 * i], spans[3 * i + 1]));
                }
                case CONTIGUOUS -> {
                    int i = 0;
                    while (i < n) {
                        int j = i;
                        while (j + 1 < n && spans[3 * (j + 1) + 2] == spans[3 * i + 2]) j++;
                        out.add(s.substring(spans[3 * i], spans[3 * j + 1]));
                        i = j + 1;
                    }
                }
                case MERGED_WITH_PREVIOUS -> {
                    // A match joins the piece before it unless that piece was itself a match.
                    int start = -1, end = -1;
                    boolean previousMatch = false;
                    for (int i = 0; i < n; i++) {
                        boolean isMatch = spans[3 * i + 2] == 1;
                        if (isMatch && !previousMatch && start >= 0) {
                            end = spans[3 * i + 1];
                        } else {
                            if (start >= 0) out.add(s.substring(start, end));
                            start = spans[3 * i];
                            end = spans[3 * i + 1];
                        }
                        previousMatch = isMatch;
                    }
                    if (start >= 0) out.add(s.substring(start, end));
                }
                case MERGED_WITH_NEXT -> {
                    // Mirror image of MERGED_WITH_PREVIOUS, walking from the end.
                    List<String> rev = new ArrayList<>();
                    int start = -1, end = -1;
                    boolean nextMatch = false;
                    for (int i = n - 1; i >= 0; i--) {
                        boolean isMatch = spans[3 * i + 2] == 1;
                        if (isMatch && !nextMatch && start >= 0) {
                            start = spans[3 * i];
                        } else {
                            if (start >= 0) rev.add(s.substring(start, end));
                            start = spans[3 * i];
                            end = spans[3 * i + 1];
                        }
                        nextMatch = isMatch;
                    }
                    if (start >= 0) rev.add(s.substring(start, end));
                    for (int i = rev.size() - 1; i >= 0; i--) out.add(rev.get(i));
                }
            }
        }
    }

    /** Byte-level: optionally the GPT-2 regex split, then every word rewritten as its UTF-8 bytes' stand-in characters. */
    final class ByteLevelSplit implements PreTokenizer {
        /** The GPT-2 regex, run by its hand-written scanner (SplitScannerParityTest holds them equal). */
        private static final SplitScanner GPT2 = SplitScanner.forRegex(SplitScanner.GPT2);
        private final boolean addPrefixSpace;
        private final boolean useRegex;

        ByteLevelSplit(boolean addPrefixSpace, boolean useRegex) {
            this.addPrefixSpace = addPrefixSpace;
            this.useRegex = useRegex;
        }

        @Override
        public void split(String s, boolean first, List<String> out) {
            if (addPrefixSpace && !s.startsWith(" ")) s = " " + s;
            if (!useRegex) {
                if (!s.isEmpty()) out.add(ByteLevel.encode(s));
                return;
            }
            int last = 0;
            for (int i = 0; i < s.length(); ) {
                int end = GPT2.matchAt(s, i);
                if (end <= i) {
                    i += Character.charCount(s.codePointAt(i));
                    continue;
                }
                if (i > last) out.add(ByteLevel.encode(s.substring(last, i)));
                out.add(ByteLevel.encode(s.substring(i, end)));
                last = i = end;
            }
            if (last < s.length()) out.add(ByteLevel.encode(s.substring(last)));
        }
    }

    /** SentencePiece's word marker: spaces become "▁", optionally prepended, and each "▁" starts a word. */
    record Metaspace(String replacement, String prependScheme, boolean splitWords) implements PreTokenizer {
        @Override
        public void split(String s, boolean first, List<String> out) {
            if (s.isEmpty()) return;
            s = s.replace(" ", replacement);
            boolean prepend = prependScheme.equals("always") || (prependScheme.equals("first") && first);
            if (prepend && !s.startsWith(replacement)) s = replacement + s;
            if (!splitWords) {
                out.add(s);
                return;
            }
            int start = 0;
            int at = s.indexOf(replacement, 1);
            while (at > 0) {
                out.add(s.substring(start, at));
                start = at;
                at = s.indexOf(replacement, at + replacement.length());
            }
            out.add(s.substring(start));
        }
    }

    record Sequence(List<PreTokenizer> parts) implements PreTokenizer {
        @Override
        public void split(String s, boolean first, List<String> out) {
            List<String> current = new ArrayList<>();
            current.add(s);
            for (PreTokenizer p : parts) {
                List<String> next = new ArrayList<>(current.size() * 2);
                for (int i = 0; i < current.size(); i++) p.split(current.get(i), first && i == 0, next);
                current = next;
            }
            out.addAll(current);
        }
    }
}
