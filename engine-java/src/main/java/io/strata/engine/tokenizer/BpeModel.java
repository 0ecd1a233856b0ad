// The BPE model of tokenizer.json: a word (one pre-tokenized piece) is split into characters and
// adjacent pairs are merged in order of merge rank until no ranked pair is left. Used both for
// byte-level BPE (Qwen3, gpt-oss, OLMoE) and SentencePiece-style BPE with byte fallback (Mistral).
package io.strata.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

final class BpeModel {
    /** Words longer than this (in chars) are not cached: long inputs rarely repeat and would fill the cache. */
    private static final int CACHE_MAX_WORD = 64;
    /** The cache is cleared when it reaches this many words, bounding its memory at a few MiB. */
    private static final int CACHE_MAX_ENTRIES = 100_000;

    private final Map<String, Integer> tokenToId;
    private final String[] idToToken;   // (vocab size) token string of each model id; null where the vocab has a hole
    private final int[] charToId;       // (65536) id of the one-char token for each BMP char, -1 if none; avoids a map lookup per char
    private final MergeTable merges;    // (left id, right id) -> (rank, merged id)
    private final int unkId;            // -1 when the model has no unk token
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final boolean ignoreMerges; // a word that is itself a vocab entry is taken whole (o200k)
    private final int[] byteTokenIds;   // (256) id of "<0xNN>" for each byte, -1 if absent
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();
    /** SentencePiece's word marker. */
    private static final char METASPACE = '\u2581';
    /** True when no vocab token has "▁" right after a character other than "▁" (see encodeWord). */
    private final boolean metaspaceBoundariesSafe;

    BpeModel(Map<String, Integer> tokenToId, String[] idToToken, MergeTable merges, int unkId,
             boolean fuseUnk, boolean byteFallback, boolean ignoreMerges) {
        this.tokenToId = tokenToId;
        this.idToToken = idToToken;
        this.merges = merges;
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        this.charToId = new int[65536];
        Arrays.fill(charToId, -1);
        for (int id = 0; id < idToToken.length; id++) {
            String t = idToToken[id];
            if (t != null && t.length() == 1) charToId[t.charAt(0)] = id;
        }
        boolean safe = tokenToId.containsKey(String.valueOf(METASPACE));
        for (int id = 0; safe && id < idToToken.length; id++) {
            String t = idToToken[id];
            if (t == null) continue;
            for (int i = 1; i < t.length(); i++) {
                if (t.charAt(i) == METASPACE && t.charAt(i - 1) != METASPACE) {
                    safe = false;
                    break;
                }
            }
        }
        this.metaspaceBoundariesSafe = safe;
        this.byteTokenIds = new int[256];
        for (int b = 0; b < 256; b++) byteTokenIds[b] = tokenToId.getOrDefault(String.format("<0x%02X>", b), -1);
    }

    int size() {
        return idToToken.length;
    }

    String token(int id) {
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }

    Integer id(String token) {
        return tokenToId.get(token);
    }

    /** Appends the ids of one word to {@code out}. */
    void encodeWord(String word, IntList out) {
        if (word.length() > CACHE_MAX_WORD && metaspaceBoundariesSafe) {
            // Without a pre-tokenizer (SentencePiece-style) the whole text is one word. No vocab token
            // holds "▁" after another character, so no merge can span such a boundary and encoding the
            // parts separately gives the same ids -- while letting the word cache work.
            int start = 0;
            for (int i = 1; i < word.length(); i++) {
                if (word.charAt(i) == METASPACE && word.charAt(i - 1) != METASPACE) {
                    encodePart(word.substring(start, i), out);
                    start = i;
                }
            }
            encodePart(word.substring(start), out);
            return;
        }
        encodePart(word, out);
    }

    private void encodePart(String word, IntList out) {
        if (word.isEmpty()) return;
        boolean cacheable = word.length() <= CACHE_MAX_WORD;
        if (cacheable) {
            int[] hit = cache.get(word);
            if (hit != null) {
                out.addAll(hit);
                return;
            }
        }
        int[] ids;
        Integer whole = ignoreMerges ? tokenToId.get(word) : null;
        if (whole != null) {
            ids = new int[] {whole};
        } else {
            ids = merge(initialSymbols(word));
        }
        if (cacheable) {
            if (cache.size() >= CACHE_MAX_ENTRIES) cache.clear();
            cache.put(word, ids);
        }
        out.addAll(ids);
    }

    /** The word's characters as ids: vocab chars, else byte-fallback tokens, else unk (fused if asked). */
    private IntList initialSymbols(String word) {
        IntList symbols = new IntList(word.length());
        boolean pendingUnk = false;
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            int n = Character.charCount(cp);
            int id;
            if (n == 1) {
                id = charToId[word.charAt(i)];
            } else {
                Integer boxed = tokenToId.get(word.substring(i, i + n));
                id = boxed == null ? -1 : boxed;
            }
            i += n;
            if (id >= 0) {
                if (pendingUnk) symbols.add(unkId);
                pendingUnk = false;
                symbols.add(id);
                continue;
            }
            if (byteFallback && hasByteTokens(cp)) {
                if (pendingUnk) symbols.add(unkId);
                pendingUnk = false;
                for (byte b : Character.toString(cp).getBytes(StandardCharsets.UTF_8)) symbols.add(byteTokenIds[b & 0xFF]);
                continue;
            }
            if (unkId < 0) continue; // the reference drops characters it cannot represent when there is no unk token
            if (fuseUnk) {
                pendingUnk = true;
            } else {
                symbols.add(unkId);
            }
        }
        if (pendingUnk) symbols.add(unkId);
        return symbols;
    }

    private boolean hasByteTokens(int cp) {
        for (byte b : Character.toString(cp).getBytes(StandardCharsets.UTF_8)) if (byteTokenIds[b & 0xFF] < 0) return false;
        return true;
    }

    /**
     * Merges symbols by rank: a min-heap of (rank, position) over a doubly linked list of symbols, so
     * each merge costs O(log n) instead of rescanning the word. Ties go to the leftmost pair, as in
     * the reference. Stale heap entries (a side already merged away) are skipped when popped.
     */
    private int[] merge(IntList initial) {
        int n = initial.size();
        if (n <= 1) return initial.toArray();
        int[] ids = initial.toArray();   // (n) current id of the symbol starting at each position
        int[] next = new int[n];          // (n) position of the next live symbol, -1 at the end
        int[] prev = new int[n];          // (n) position of the previous live symbol, -1 at the start
        boolean[] dead = new boolean[n];  // (n) merged into the symbol on its left
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        LongHeap heap = new LongHeap(n);  // entries: rank << 32 | position
        for (int i = 0; i + 1 < n; i++) {
            long m = merges.get(ids[i], ids[i + 1]);
            if (m >= 0) heap.push((m >>> 32) << 32 | i);
        }
        int live = n;
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int rank = (int) (top >>> 32);
            int pos = (int) top;
            if (dead[pos]) continue;
            int right = next[pos];
            if (right < 0) continue;
            long m = merges.get(ids[pos], ids[right]);
            if (m < 0 || (int) (m >>> 32) != rank) continue;
            ids[pos] = (int) m;
            dead[right] = true;
            live--;
            next[pos] = next[right];
            if (next[right] >= 0) prev[next[right]] = pos;
            if (prev[pos] >= 0) {
                long pm = merges.get(ids[prev[pos]], ids[pos]);
                if (pm >= 0) heap.push((pm >>> 32) << 32 | prev[pos]);
            }
            if (next[pos] >= 0) {
                long nm = merges.get(ids[pos], ids[next[pos]]);
                if (nm >= 0) heap.push((nm >>> 32) << 32 | pos);
            }
        }
        int[] result = new int[live];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) result[k++] = ids[i];
        return result;
    }

    /** Open-addressing map from a pair of token ids to (rank << 32 | merged id); -1 when absent. */
    static final class MergeTable {
        private long[] keys;   // (capacity) left << 32 | right, or EMPTY
        private long[] values; // (capacity) rank << 32 | merged id
        private int size;
        private static final long EMPTY = Long.MIN_VALUE;

        MergeTable(int expected) {
            int cap = Integer.highestOneBit(Math.max(16, expected * 2) - 1) << 1;
            keys = new long[cap];
            values = new long[cap];
            Arrays.fill(keys, EMPTY);
        }

        /** Records a merge; an earlier (lower rank) entry for the same pair wins, as in the reference. */
        void putIfAbsent(int left, int right, int rank, int merged) {
            long key = (long) left << 32 | (right & 0xFFFFFFFFL);
            int mask = keys.length - 1;
            int i = mix(key) & mask;
            while (keys[i] != EMPTY) {
                if (keys[i] == key) return;
                i = (i + 1) & mask;
            }
            keys[i] = key;
            values[i] = (long) rank << 32 | (merged & 0xFFFFFFFFL);
            size++;
        }

        long get(int left, int right) {
            long key = (long) left << 32 | (right & 0xFFFFFFFFL);
            int mask = keys.length - 1;
            int i = mix(key) & mask;
            while (true) {
                long k = keys[i];
                if (k == key) return values[i];
                if (k == EMPTY) return -1;
                i = (i + 1) & mask;
            }
        }

        int size() {
            return size;
        }

        private static int mix(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            return (int) (h ^ (h >>> 32));
        }
    }

    /** A binary min-heap of longs. */
    static final class LongHeap {
        private long[] a;
        private int size;

        LongHeap(int capacity) {
            a = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void push(long v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            int i = size++;
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (a[p] <= v) break;
                a[i] = a[p];
                i = p;
            }
            a[i] = v;
        }

        long pop() {
            long top = a[0];
            long v = a[--size];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= size) break;
                if (c + 1 < size && a[c + 1] < a[c]) c++;
                if (a[c] >= v) break;
                a[i] = a[c];
                i = c;
            }
            a[i] = v;
            return top;
        }
    }
}
