// The added tokens of tokenizer.json ("<|im_start|>", "<s>", "<think>" ...): they are cut out of the
// text before normalization and BPE, so they are never split or merged with their neighbours.
package io.strata.engine.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

final class AddedVocabulary {
    /** One entry of "added_tokens"; the flags mean what they mean in the reference tokenizer. */
    record AddedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip,
                      boolean normalized, boolean special) {}

    /** A piece of the input: either an added token id or text still to encode (start is its char offset in the input). */
    record Piece(int tokenId, String text, int start) {
        boolean isToken() {
            return text == null;
        }
    }

    private final Map<Character, AddedToken[]> byFirstChar = new HashMap<>(); // candidates per first char, longest first
    /** (65536) whether some token starts with this char; skips the boxed map lookup for the other chars of the text. */
    private final boolean[] isFirstChar = new boolean[65536];

    /** @param tokens the tokens to match, with their content already in the form the text will have */
    AddedVocabulary(List<AddedToken> tokens) {
        Map<Character, List<AddedToken>> lists = new HashMap<>();
        for (AddedToken t : tokens) {
            if (t.content().isEmpty()) continue;
            lists.computeIfAbsent(t.content().charAt(0), c -> new ArrayList<>()).add(t);
        }
        for (Map.Entry<Character, List<AddedToken>> e : lists.entrySet()) {
            List<AddedToken> l = e.getValue();
            l.sort(Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed());
            byFirstChar.put(e.getKey(), l.toArray(AddedToken[]::new));
            isFirstChar[e.getKey()] = true;
        }
    }

    boolean isEmpty() {
        return byFirstChar.isEmpty();
    }

    /**
     * Cuts {@code text} at the leftmost-longest occurrences of the added tokens. lstrip / rstrip tokens
     * also swallow the whitespace on their left / right; single_word tokens only match as whole words.
     *
     * @param offset char offset of {@code text} in the whole input, carried into the pieces
     */
    void split(String text, int offset, List<Piece> out) {
        if (byFirstChar.isEmpty()) {
            if (!text.isEmpty()) out.add(new Piece(-1, text, offset));
            return;
        }
        int len = text.length();
        int segStart = 0;
        int i = 0;
        while (i < len) {
            char c = text.charAt(i);
            if (!isFirstChar[c]) {
                i++;
                continue;
            }
            AddedToken[] candidates = byFirstChar.get(c);
            AddedToken match = null;
            if (candidates != null) {
                for (AddedToken t : candidates) {
                    if (text.startsWith(t.content(), i) && (!t.singleWord() || isWholeWord(text, i, i + t.content().length()))) {
                        match = t;
                        break;
                    }
                }
            }
            if (match == null) {
                i++;
                continue;
            }
            int start = i, end = i + match.content().length();
            if (match.lstrip()) while (start > segStart && isWhitespace(text.charAt(start - 1))) start--;
            if (match.rstrip()) while (end < len && isWhitespace(text.charAt(end))) end++;
            if (start > segStart) out.add(new Piece(-1, text.substring(segStart, start), offset + segStart));
            out.add(new Piece(match.id(), null, offset + start));
            segStart = end;
            i = end;
        }
        if (segStart < len) out.add(new Piece(-1, text.substring(segStart), offset + segStart));
    }

    private static boolean isWholeWord(String text, int start, int end) {
        boolean before = start == 0 || !isWordChar(text.charAt(start - 1));
        boolean after = end == text.length() || !isWordChar(text.charAt(end));
        return before && after;
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }

    static boolean isWhitespace(char c) {
        return Character.isWhitespace(c) || Character.getType(c) == Character.SPACE_SEPARATOR;
    }
}
