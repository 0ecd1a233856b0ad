// Per-expert usage history and the causal features the learned policy ranks candidates by.
package io.strata.tiering.policy;

import java.util.Arrays;

/**
 * Everything here is computed from requests already seen (never the future). Time is the token index.
 * A (layer, time) "step" is the set of experts requested at that layer for that token; steps are assembled
 * from the requests, so callers that only report accesses (the store) get the same features as the simulator.
 *
 * <p>Features of expert e at layer l, time t (FEATURES = 14):
 * <ol start="0">
 * <li>recency {@code 1/(t - last + 1)}, 0 if never used</li>
 * <li>frequency in the last 4 tokens / 4</li>
 * <li>frequency in the last 16 tokens / 16</li>
 * <li>frequency in the last 64 tokens / 64</li>
 * <li>long-run frequency: uses / tokens seen at this layer</li>
 * <li>{@code log1p(t - last) / 8} (never used: {@code log1p(t + 1) / 8})</li>
 * <li>{@code log1p(mean gap between uses) / 8}, an exponential moving average</li>
 * <li>transition: mean over experts a of the current step of P(e used at the next token | a used now), counted
 *     over past consecutive tokens at this layer</li>
 * <li>co-occurrence: mean over experts a the previous layer chose for the same token of P(e at this layer | a at
 *     the previous layer), counted over past tokens</li>
 * <li>router weight at e's last use (0 when unknown)</li>
 * <li>lag-2 transition: as 7, P(e used 2 tokens later | a used now)</li>
 * <li>lag-4 transition: P(e used 4 tokens later | a used now)</li>
 * <li>set transition: P(e used at the next token | this layer's exact expert set now), over past occurrences of
 *     that set (0 when the set is new)</li>
 * <li>{@code log1p(past occurrences of the current set) / 8}: how much feature 12 can be trusted</li>
 * <li>neighbour vote: the current token is compared with each of the last {@value #POOL} tokens by the experts
 *     both chose at this layer and the layers before it (overlap per layer, weighted {@code exp(-0.1 × layers
 *     back)}); of the {@value #NEIGHBOURS} most similar earlier tokens u, the fraction whose next token u + 1 chose
 *     e at this layer. Only tokens whose successor is already seen take part.</li>
 * <li>as 14, the fraction whose token u + 2 chose e (neighbours with u + 2 not yet seen are left out)</li>
 * </ol>
 */
public final class ExpertHistory {
    public static final int FEATURES = 16;
    /** Earlier tokens the neighbour features (14, 15) compare the current one with. */
    static final int POOL = 256;
    /** Most similar earlier tokens that vote in features 14 and 15. */
    static final int NEIGHBOURS = 20;
    /** Weight decay per layer back of the neighbour similarity. */
    private static final double LAYER_DECAY = 0.1;
    /** Lags (tokens) of the transition features 7, 10, 11. */
    private static final int[] LAGS = {1, 2, 4};
    private final int numLayers;
    private final int numExperts;
    private final long[] last;     // (layer, expert) last use time, -1 = never
    private final long[] bits;     // (layer, expert) bit i = used at time last - i
    private final long[] uses;     // (layer, expert) total uses
    private final double[] gap;    // (layer, expert) EMA of gaps between uses (tokens)
    private final float[] weight;  // (layer, expert) router weight at last use
    private final long[] firstTime; // (layer) first time seen, -1 = never
    private final long[][] lagCount; // [lag] (layer, a, b) count: a used at token s and b at token s + lag
    private final long[][] lagN;     // [lag] (layer, a) count of steps at s + lag after a step using a at s
    private final long[] co;       // (layer, a, b) count: a at layer-1 and b at layer, same token
    private final long[] coN;      // (layer, a) count of tokens with a at layer-1 that reached this layer
    private final long[] curTime;  // (layer) time of the current step, -1 none
    private long latest = -1;      // the time of the step begun last, at any layer
    /** Per layer: exact expert set at token s -> (counts of each expert at token s + 1 ..., occurrences). */
    private final java.util.List<java.util.Map<java.util.BitSet, long[]>> setNext;
    // The last POOL steps per layer (the lags, the set transitions and the neighbour features read them): expert
    // bits at (slot = time % POOL, layer, word), and the time of each (slot, layer), -1 = empty.
    private final int words;
    private final long[] stepBits;
    private final long[] stepTime;
    // Per layer, the neighbour votes last computed (layer, expert, lag 1 | 2) and for which step: its time and size.
    private final long[] nbTime;
    private final int[] nbSize;
    private final double[] nbVote;
    private final double[] layerWeight; // [layers back] exp(-LAYER_DECAY × layers back)

    public ExpertHistory(int numLayers, int numExperts) {
        this.numLayers = numLayers;
        this.numExperts = numExperts;
        int le = numLayers * numExperts;
        last = new long[le];
        Arrays.fill(last, -1);
        bits = new long[le];
        uses = new long[le];
        gap = new double[le];
        weight = new float[le];
        firstTime = new long[numLayers];
        Arrays.fill(firstTime, -1);
        lagCount = new long[LAGS.length][le * numExperts];
        lagN = new long[LAGS.length][le];
        co = new long[le * numExperts];
        coN = new long[le];
        curTime = new long[numLayers];
        Arrays.fill(curTime, -1);
        setNext = new java.util.ArrayList<>();
        for (int l = 0; l < numLayers; l++) {
            setNext.add(new java.util.HashMap<>());
        }
        words = (numExperts + 63) / 64;
        stepBits = new long[POOL * numLayers * words];
        stepTime = new long[POOL * numLayers];
        Arrays.fill(stepTime, -1);
        nbVote = new double[numLayers * 2 * numExperts];
        nbTime = new long[numLayers];
        Arrays.fill(nbTime, -1);
        nbSize = new int[numLayers];
        layerWeight = new double[numLayers];
        for (int d = 0; d < numLayers; d++) {
            layerWeight[d] = Math.exp(-LAYER_DECAY * d);
        }
    }

    /** Offset of the step (layer, time) in {@code stepBits}, or -1 if it is not (or no longer) remembered. */
    private int step(int layer, long time) {
        if (time < 0) {
            return -1;
        }
        int r = (int) (time % POOL) * numLayers + layer;
        return stepTime[r] == time ? r * words : -1;
    }

    /** Starts the step (layer, time) empty, in place of the one POOL tokens older; returns its offset. */
    private int startStep(int layer, long time) {
        int r = (int) (time % POOL) * numLayers + layer;
        stepTime[r] = time;
        Arrays.fill(stepBits, r * words, (r + 1) * words, 0L);
        return r * words;
    }

    /** Experts both steps chose (a step not remembered, -1, chose none). */
    private int popcountAnd(int a, int b) {
        if (a < 0 || b < 0) {
            return 0;
        }
        int n = 0;
        for (int w = 0; w < words; w++) {
            n += Long.bitCount(stepBits[a + w] & stepBits[b + w]);
        }
        return n;
    }

    private boolean has(int off, int expert) {
        return (stepBits[off + expert / 64] & (1L << (expert % 64))) != 0;
    }

    /**
     * Fills {@code nbVote} of {@code layer} for its current step at token {@code t} (features 14 and 15); returns
     * the offset of that layer's votes.
     */
    private int neighbourVotes(int layer, long t) {
        int size = 0;
        int cur = step(layer, t);
        for (int e = 0; cur >= 0 && e < numExperts; e++) {
            size += has(cur, e) ? 1 : 0;
        }
        int v = layer * 2 * numExperts;
        if (t == nbTime[layer] && size == nbSize[layer]) {
            return v;
        }
        nbTime[layer] = t;
        nbSize[layer] = size;
        Arrays.fill(nbVote, v, v + 2 * numExperts, 0);
        long[] best = new long[NEIGHBOURS];    // token ids, most similar first
        double[] bestSim = new double[NEIGHBOURS];
        int found = 0;
        int[] now = new int[layer + 1]; // this token's steps at layers 0..layer
        for (int j = 0; j <= layer; j++) {
            now[j] = step(j, t);
        }
        // Tokens whose slots a later token has begun to reuse (at any layer) are left out whole.
        for (long u = t - 1; u >= Math.max(0, Math.max(t, latest) - POOL + 1); u--) {
            if (step(layer, u) < 0 || step(layer, u + 1) < 0) { // not seen, or no successor to vote with
                continue;
            }
            double sim = 0;
            for (int j = 0; j <= layer; j++) {
                sim += layerWeight[layer - j] * popcountAnd(step(j, u), now[j]);
            }
            // Insert keeping the list sorted by similarity, ties to the more recent token (seen first).
            int pos = found;
            while (pos > 0 && bestSim[pos - 1] < sim) {
                pos--;
            }
            if (pos >= NEIGHBOURS) {
                continue;
            }
            int last = Math.min(found, NEIGHBOURS - 1);
            System.arraycopy(best, pos, best, pos + 1, last - pos);
            System.arraycopy(bestSim, pos, bestSim, pos + 1, last - pos);
            best[pos] = u;
            bestSim[pos] = sim;
            found = Math.min(found + 1, NEIGHBOURS);
        }
        int n2 = 0;
        for (int i = 0; i < found; i++) {
            int next = step(layer, best[i] + 1);
            int after = best[i] + 2 <= t ? step(layer, best[i] + 2) : -1;
            n2 += after >= 0 ? 1 : 0;
            for (int e = 0; e < numExperts; e++) {
                nbVote[v + e] += has(next, e) ? 1 : 0;
                nbVote[v + numExperts + e] += after >= 0 && has(after, e) ? 1 : 0;
            }
        }
        for (int e = 0; e < numExperts; e++) {
            nbVote[v + e] = found == 0 ? 0 : nbVote[v + e] / found;
            nbVote[v + numExperts + e] = n2 == 0 ? 0 : nbVote[v + numExperts + e] / n2;
        }
        return v;
    }

    private java.util.BitSet set(int off) {
        return java.util.BitSet.valueOf(Arrays.copyOfRange(stepBits, off, off + words));
    }

    public int numLayers() {
        return numLayers;
    }

    public int numExperts() {
        return numExperts;
    }

    /** Records that {@code expert} was requested at {@code layer}, {@code time}, with router weight (NaN = unknown). */
    /** The last time {@code expert} was requested at {@code layer}, -1 if never. */
    public long lastUse(int layer, int expert) {
        check(layer, expert);
        return last[layer * numExperts + expert];
    }

    public void observe(int layer, int expert, long time, float routerWeight) {
        check(layer, expert);
        int base = layer * numExperts;
        if (curTime[layer] != time) {
            // A new step at this layer: the previous one is complete; count its set transition.
            long pt = curTime[layer];
            int done = step(layer, pt);
            int before = step(layer, pt - 1);
            if (done >= 0 && before >= 0) {
                long[] c = setNext.get(layer).computeIfAbsent(set(before), k -> new long[numExperts + 1]);
                for (int e = 0; e < numExperts; e++) {
                    if (has(done, e)) {
                        c[e]++;
                    }
                }
                c[numExperts]++;
            }
            startStep(layer, time);
            curTime[layer] = time;
            latest = time; // steps come in time order; an earlier time is a clock that restarted (a new sequence)
            if (firstTime[layer] < 0) {
                firstTime[layer] = time;
            }
            // Co-occurrence denominators, once per token, for the previous layer's experts.
            int pl = layer > 0 ? step(layer - 1, time) : -1;
            if (pl >= 0) {
                for (int a = 0; a < numExperts; a++) {
                    if (has(pl, a)) {
                        coN[base + a]++;
                    }
                }
            }
            for (int li = 0; li < LAGS.length; li++) {
                int ps = step(layer, time - LAGS[li]);
                if (ps >= 0) {
                    for (int a = 0; a < numExperts; a++) {
                        if (has(ps, a)) {
                            lagN[li][base + a]++;
                        }
                    }
                }
            }
        }
        int cs = step(layer, time);
        int i = base + expert;
        if (has(cs, expert)) {
            return; // a repeated request within one step adds nothing
        }
        stepBits[cs + expert / 64] |= 1L << (expert % 64);
        for (int li = 0; li < LAGS.length; li++) {
            int ps = step(layer, time - LAGS[li]);
            if (ps >= 0) {
                for (int a = 0; a < numExperts; a++) {
                    if (has(ps, a)) {
                        lagCount[li][(base + a) * numExperts + expert]++;
                    }
                }
            }
        }
        int pl = layer > 0 ? step(layer - 1, time) : -1;
        if (pl >= 0) {
            for (int a = 0; a < numExperts; a++) {
                if (has(pl, a)) {
                    co[(base + a) * numExperts + expert]++;
                }
            }
        }
        if (last[i] >= 0) {
            long d = time - last[i];
            bits[i] = d >= 64 ? 1L : (bits[i] << d) | 1L;
            gap[i] = uses[i] == 1 ? d : 0.8 * gap[i] + 0.2 * d;
        } else {
            bits[i] = 1L;
        }
        last[i] = time;
        uses[i]++;
        weight[i] = Float.isNaN(routerWeight) ? 0f : routerWeight;
    }

    /** Writes the FEATURES features of (layer, expert) at {@code time} into {@code out[off..]}. */
    public void features(int layer, int expert, long time, double[] out, int off) {
        check(layer, expert);
        int base = layer * numExperts;
        int i = base + expert;
        long l = last[i];
        long shifted = 0;
        if (l >= 0) {
            long d = time - l;
            shifted = d >= 64 ? 0 : bits[i] << d;
            out[off] = 1.0 / (d + 1);
            out[off + 5] = Math.log1p(Math.max(0, d)) / 8;
        } else {
            out[off] = 0;
            out[off + 5] = Math.log1p(Math.max(0, time) + 1) / 8;
        }
        out[off + 1] = Long.bitCount(shifted & 0xFL) / 4.0;
        out[off + 2] = Long.bitCount(shifted & 0xFFFFL) / 16.0;
        out[off + 3] = Long.bitCount(shifted) / 64.0;
        long span = firstTime[layer] < 0 ? 1 : Math.max(1, time - firstTime[layer] + 1);
        out[off + 4] = (double) uses[i] / span;
        out[off + 6] = uses[i] > 1 ? Math.log1p(gap[i]) / 8 : Math.log1p(span) / 8;
        // Transitions from the most recent step at this layer, at each lag.
        int cs = curTime[layer] >= 0 ? step(layer, curTime[layer]) : -1;
        int[] slot = {7, 10, 11};
        for (int li = 0; li < LAGS.length; li++) {
            double t = 0;
            int n = 0;
            if (cs >= 0) {
                for (int a = 0; a < numExperts; a++) {
                    if (has(cs, a)) {
                        long den = lagN[li][base + a];
                        t += den == 0 ? 0 : (double) lagCount[li][(base + a) * numExperts + expert] / den;
                        n++;
                    }
                }
            }
            out[off + slot[li]] = n == 0 ? 0 : t / n;
        }
        double c = 0;
        int m = 0;
        int pl = layer > 0 && curTime[layer] >= 0 ? step(layer - 1, curTime[layer]) : -1;
        if (pl >= 0) {
            for (int a = 0; a < numExperts; a++) {
                if (has(pl, a)) {
                    long den = coN[base + a];
                    c += den == 0 ? 0 : (double) co[(base + a) * numExperts + expert] / den;
                    m++;
                }
            }
        }
        out[off + 8] = m == 0 ? 0 : c / m;
        out[off + 9] = weight[i];
        long[] sc = cs >= 0 ? setNext.get(layer).get(set(cs)) : null;
        out[off + 12] = sc == null ? 0 : (double) sc[expert] / sc[numExperts];
        out[off + 13] = sc == null ? 0 : Math.log1p(sc[numExperts]) / 8;
        if (curTime[layer] >= 0) {
            int v = neighbourVotes(layer, curTime[layer]);
            out[off + 14] = nbVote[v + expert];
            out[off + 15] = nbVote[v + numExperts + expert];
        } else {
            out[off + 14] = 0;
            out[off + 15] = 0;
        }
    }

    private void check(int layer, int expert) {
        if (layer < 0 || layer >= numLayers || expert < 0 || expert >= numExperts) {
            throw new IllegalArgumentException("expected layer in [0, " + numLayers + ") and expert in [0, " + numExperts
                    + "), found layer " + layer + " expert " + expert);
        }
    }
}
