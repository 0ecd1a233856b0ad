// Hand-written matchers for the Split regexes that Qwen3 / Qwen2 and o200k (gpt-oss) ship, and for
// the GPT-2 regex of the ByteLevel pre-tokenizer (OLMoE, GPT-NeoX). They
// find exactly the matches java.util.regex finds for the same pattern -- the regex is their
// specification, and SplitScannerParityTest compares the two over awkward text -- but run several
// times faster, because pre-tokenization is most of the cost of byte-level encoding.
package io.strata.engine.tokenizer;

interface SplitScanner {
    /** End (exclusive, in chars) of the match that starts at {@code i}, or -1 when none starts there. */
    int matchAt(String s, int i);

    /** The Qwen2 / Qwen3 pre-tokenizer pattern, as tokenizer.json writes it. */
    String QWEN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** The o200k pattern of gpt-oss, as tokenizer.json writes it. */
    String O200K = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
            + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
            + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** The GPT-2 pattern that the ByteLevel pre-tokenizer applies when use_regex is true (OLMoE, GPT-NeoX). */
    String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /** The scanner for a tokenizer.json regex, or null when the regex is not one of the known patterns. */
    static SplitScanner forRegex(String regex) {
        if (regex.equals(QWEN)) return Scanners::qwen;
        if (regex.equals(O200K)) return Scanners::o200k;
        if (regex.equals(GPT2)) return Scanners::gpt2;
        return null;
    }

    /** The matchers; each alternative is tried in the regex's order, with its backtracking worked out by hand. */
    final class Scanners {
        private Scanners() {}

        static int qwen(String s, int i) {
            int len = s.length();
            int c = s.codePointAt(i);
            int n1 = i + Character.charCount(c);
            // '(?i:'s|'t|'re|'ve|'m|'ll|'d)'
            if (c == '\'') {
                int e = contraction(s, i);
                if (e > 0) return e;
            }
            // '[^\r\n\p{L}\p{N}]?\p{L}+'
            if (isL(c)) return letters(s, n1);
            if (c != '\r' && c != '\n' && !isN(c) && n1 < len && isL(s.codePointAt(n1))) return letters(s, n1);
            // '\p{N}'
            if (isN(c)) return n1;
            // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
            if (c == ' ' && n1 < len && isPunct(s.codePointAt(n1))) return newlines(s, punctRun(s, n1), false);
            if (isPunct(c)) return newlines(s, punctRun(s, i), false);
            return whitespace(s, i);
        }

        static int o200k(String s, int i) {
            int len = s.length();
            int c = s.codePointAt(i);
            int n1 = i + Character.charCount(c);
            boolean prefix = c != '\r' && c != '\n' && !isL(c) && !isN(c) && n1 < len;
            // '[^\r\n\p{L}\p{N}]?[Lu Lt Lm Lo M]*[Ll Lm Lo M]+contraction?': with the optional char, then without
            int e = prefix ? upperStarLowerPlus(s, n1) : -1;
            if (e < 0) e = upperStarLowerPlus(s, i);
            if (e >= 0) return optionalContraction(s, e);
            // '[^\r\n\p{L}\p{N}]?[Lu Lt Lm Lo M]+[Ll Lm Lo M]*contraction?'
            e = prefix ? upperPlusLowerStar(s, n1) : -1;
            if (e < 0) e = upperPlusLowerStar(s, i);
            if (e >= 0) return optionalContraction(s, e);
            // '\p{N}{1,3}'
            if (isN(c)) {
                int end = n1;
                for (int k = 1; k < 3 && end < len && isN(s.codePointAt(end)); k++) end += Character.charCount(s.codePointAt(end));
                return end;
            }
            // ' ?[^\s\p{L}\p{N}]+[\r\n/]*'
            if (c == ' ' && n1 < len && isPunct(s.codePointAt(n1))) return newlines(s, punctRun(s, n1), true);
            if (isPunct(c)) return newlines(s, punctRun(s, i), true);
            return whitespace(s, i);
        }

        static int gpt2(String s, int i) {
            int len = s.length();
            int c = s.codePointAt(i);
            int n1 = i + Character.charCount(c);
            // "'s|'t|'re|'ve|'m|'ll|'d", case-sensitive
            if (c == '\'' && i + 1 < len) {
                char a = s.charAt(i + 1);
                if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
                if (i + 2 < len) {
                    char b = s.charAt(i + 2);
                    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
                }
            }
            // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+': the space joins the run that follows it
            int p = c == ' ' && n1 < len ? n1 : i;
            int first = s.codePointAt(p);
            if (p != i && !isL(first) && !isN(first) && !isPunct(first)) p = i;
            first = s.codePointAt(p);
            if (isL(first)) return letters(s, p);
            if (isN(first)) {
                int e = p;
                while (e < len && isN(s.codePointAt(e))) e += Character.charCount(s.codePointAt(e));
                return e;
            }
            if (isPunct(first)) return punctRun(s, p);
            // '\s+(?!\S)|\s+'
            int j = i;
            while (j < len && isWhitespace(s.charAt(j))) j++;
            if (j == i) return -1;
            if (j == len || j - i < 2) return j;
            return j - 1;
        }

        /** '\s*[\r\n]+|\s+(?!\S)|\s+' at i. */
        private static int whitespace(String s, int i) {
            int len = s.length();
            int j = i, lastNewline = -1;
            while (j < len && isWhitespace(s.charAt(j))) { // every White_Space character is in the BMP
                if (s.charAt(j) == '\r' || s.charAt(j) == '\n') lastNewline = j;
                j++;
            }
            if (j == i) return -1;
            // '\s*[\r\n]+' backtracks to end just after the run's last line break
            if (lastNewline >= 0) return lastNewline + 1;
            // '\s+(?!\S)' gives back the last space when a non-space follows
            if (j == len) return j;
            if (j - i >= 2) return j - 1;
            return j; // '\s+'
        }

        /** '[Lu Lt Lm Lo M]*[Ll Lm Lo M]+' at p: the upper run, then the lower run, backing off into the upper run if needed. */
        private static int upperStarLowerPlus(String s, int p) {
            int len = s.length();
            int k = p;
            while (k < len && isUpperClass(s.codePointAt(k))) k += Character.charCount(s.codePointAt(k));
            if (k < len && isLowerClass(s.codePointAt(k))) {
                int e = k;
                while (e < len && isLowerClass(s.codePointAt(e))) e += Character.charCount(s.codePointAt(e));
                return e;
            }
            // Backtrack: the last char of the upper run that is also in the lower class ends the match.
            for (int j = k; j > p; ) {
                int cp = s.codePointBefore(j);
                j -= Character.charCount(cp);
                if (isLowerClass(cp)) return j + Character.charCount(cp);
            }
            return -1;
        }

        /** '[Lu Lt Lm Lo M]+[Ll Lm Lo M]*' at p. */
        private static int upperPlusLowerStar(String s, int p) {
            int len = s.length();
            if (p >= len || !isUpperClass(s.codePointAt(p))) return -1;
            int k = p;
            while (k < len && isUpperClass(s.codePointAt(k))) k += Character.charCount(s.codePointAt(k));
            while (k < len && isLowerClass(s.codePointAt(k))) k += Character.charCount(s.codePointAt(k));
            return k;
        }

        private static int optionalContraction(String s, int e) {
            if (e < s.length() && s.charAt(e) == '\'') {
                int c = contraction(s, e);
                if (c > 0) return c;
            }
            return e;
        }

        /** "'s", "'t", "'re", "'ve", "'m", "'ll", "'d" at i (s[i] is the apostrophe), case-insensitive as (?iu); else -1. */
        private static int contraction(String s, int i) {
            int len = s.length();
            if (i + 1 >= len) return -1;
            char a = fold(s.charAt(i + 1));
            if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
            if (i + 2 >= len) return -1;
            char b = fold(s.charAt(i + 2));
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
            return -1;
        }

        /** java.util.regex's case folding for one char under CASE_INSENSITIVE | UNICODE_CASE ('ſ' matches 's'). */
        private static char fold(char c) {
            return Character.toLowerCase(Character.toUpperCase(c));
        }

        private static int letters(String s, int p) {
            int len = s.length();
            while (p < len && isL(s.codePointAt(p))) p += Character.charCount(s.codePointAt(p));
            return p;
        }

        private static int punctRun(String s, int p) {
            int len = s.length();
            while (p < len && isPunct(s.codePointAt(p))) p += Character.charCount(s.codePointAt(p));
            return p;
        }

        /** '[\r\n]*', or '[\r\n/]*' when slash is set. */
        private static int newlines(String s, int p, boolean slash) {
            int len = s.length();
            while (p < len && (s.charAt(p) == '\r' || s.charAt(p) == '\n' || (slash && s.charAt(p) == '/'))) p++;
            return p;
        }

        static boolean isL(int cp) {
            return Character.isLetter(cp);
        }

        static boolean isN(int cp) {
            int t = Character.getType(cp);
            return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
        }

        /** \s under UNICODE_CHARACTER_CLASS: the White_Space property, as java.util.regex computes it. */
        static boolean isWhitespace(int cp) {
            int t = Character.getType(cp);
            return t == Character.SPACE_SEPARATOR || t == Character.LINE_SEPARATOR || t == Character.PARAGRAPH_SEPARATOR
                    || (cp >= 0x9 && cp <= 0xd) || cp == 0x85;
        }

        private static boolean isPunct(int cp) {
            return !isWhitespace(cp) && !isL(cp) && !isN(cp);
        }

        private static boolean isMark(int t) {
            return t == Character.NON_SPACING_MARK || t == Character.ENCLOSING_MARK || t == Character.COMBINING_SPACING_MARK;
        }

        /** [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] */
        private static boolean isUpperClass(int cp) {
            int t = Character.getType(cp);
            return t == Character.UPPERCASE_LETTER || t == Character.TITLECASE_LETTER || t == Character.MODIFIER_LETTER
                    || t == Character.OTHER_LETTER || isMark(t);
        }

        /** [\p{Ll}\p{Lm}\p{Lo}\p{M}] */
        private static boolean isLowerClass(int cp) {
            int t = Character.getType(cp);
            return t == Character.LOWERCASE_LETTER || t == Character.MODIFIER_LETTER || t == Character.OTHER_LETTER || isMark(t);
        }
    }
}
