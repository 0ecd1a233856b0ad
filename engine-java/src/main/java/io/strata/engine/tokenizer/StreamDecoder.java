// Incremental decoding for generation: ids arrive one at a time and text comes out as soon as it is
// complete, never half a UTF-8 character (multi-byte characters split over byte-level or
// byte-fallback tokens are held back until their last byte arrives).
package io.strata.engine.tokenizer;

import java.util.Arrays;

/**
 * Decodes a growing sequence of ids. It decodes a short window of recent ids with and without the
 * newest one and emits the difference, so decoders that look at context (SentencePiece's leading
 * space strip) give the same text as decoding the whole sequence at once. Output is held back while
 * the window ends in U+FFFD, i.e. while a character's bytes are still arriving. Not thread-safe.
 */
public final class StreamDecoder {
    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private int[] ids = new int[16]; // (size) the window: context ids already emitted, then ids not yet emitted
    private int size;
    private int prefixIndex;          // ids[0..prefixIndex) are context only
    private String prefix = "";       // decode(ids[0..prefixIndex))

    StreamDecoder(Tokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /**
     * Adds one id.
     *
     * @return the text this id completes; empty while a character is still incomplete
     */
    public String feed(int id) {
        if (size == ids.length) ids = Arrays.copyOf(ids, size * 2);
        ids[size++] = id;
        String text = tokenizer.decode(ids, 0, size, skipSpecialTokens);
        if (text.length() <= prefix.length() || text.endsWith("\uFFFD")) return "";
        return emit(text);
    }

    /** Emits whatever is held back (incomplete bytes as U+FFFD) and starts afresh; call at the end of a stream. */
    public String flush() {
        String text = tokenizer.decode(ids, 0, size, skipSpecialTokens);
        String out = text.length() > prefix.length() ? emit(text) : "";
        size = 0;
        prefixIndex = 0;
        prefix = "";
        return out;
    }

    private String emit(String text) {
        int common = 0;
        int max = Math.min(prefix.length(), text.length());
        // The window's text normally starts with the prefix; if a decoder rewrote it, emit from where they differ.
        while (common < max && prefix.charAt(common) == text.charAt(common)) common++;
        String piece = text.substring(common);
        int newPrefixIndex = size - prefixIndex;
        System.arraycopy(ids, prefixIndex, ids, 0, newPrefixIndex);
        size = newPrefixIndex;
        prefixIndex = newPrefixIndex;
        prefix = tokenizer.decode(ids, 0, size, skipSpecialTokens);
        return piece;
    }
}
