// Per-expert usage history and the causal features the learned policy ranks candidates by.
package io.strata.tiering.policy;

import java.util.Arrays;

/**
 * Everything here is computed from requests already seen (never the future). Time is the token index.
 * A (layer, time) "step" is the set of experts requested at that layer for that token; steps are assembled
 * from the requests, so callers that only report accesses (the store) get the same features as the simulator.
 *
 * <p>Features of expert e at layer l, time t (FEATURES = 10):
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
 * </ol>
 */
public final class ExpertHistory {
    public static final int FEATURES = 10;
    private final int numLayers;
    private final int numExperts;
    private final long[] last;     // (layer, expert) last use time, -1 = never
    private final long[] bits;     // (layer, expert) bit i = used at time last - i
    private final long[] uses;     // (layer, expert) total uses
    private final double[] gap;    // (layer, expert) EMA of gaps between uses (tokens)
    private final float[] weight;  // (layer, expert) router weight at last use
    private final long[] firstTime; // (layer) first time seen, -1 = never
    private final long[] tokensSeen; // (layer) steps seen
    private final long[] trans;    // (layer, a, b) count: a used at token s-1 and b at token s
    private final long[] transN;   // (layer, a) count of steps after one where a was used
    private final long[] co;       // (layer, a, b) count: a at layer-1 and b at layer, same token
    private final long[] coN;      // (layer, a) count of tokens with a at layer-1 that reached this layer
    // The current and previous step per layer: membership flags (layer, expert) and their time.
    private final boolean[] cur;
    private final boolean[] prev;
    private final long[] curTime;  // (layer) time of cur, -1 none
    private final long[] prevTime; // (layer)
    private final long[] pendingTrans; // (layer) 1 when cur's transitions from prev have not been counted

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
        tokensSeen = new long[numLayers];
        trans = new long[le * numExperts];
        transN = new long[le];
        co = new long[le * numExperts];
        coN = new long[le];
        cur = new boolean[le];
        prev = new boolean[le];
        curTime = new long[numLayers];
        Arrays.fill(curTime, -1);
        prevTime = new long[numLayers];
        Arrays.fill(prevTime, -1);
        pendingTrans = new long[numLayers];
    }

    public int numLayers() {
        return numLayers;
    }

    public int numExperts() {
        return numExperts;
    }

    /** Records that {@code expert} was requested at {@code layer}, {@code time}, with router weight (NaN = unknown). */
    public void observe(int layer, int expert, long time, float routerWeight) {
        check(layer, expert);
        int base = layer * numExperts;
        if (curTime[layer] != time) {
            // A new step at this layer: the previous one is complete.
            if (curTime[layer] >= 0) {
                System.arraycopy(cur, base, prev, base, numExperts);
                prevTime[layer] = curTime[layer];
            }
            Arrays.fill(cur, base, base + numExperts, false);
            curTime[layer] = time;
            tokensSeen[layer]++;
            if (firstTime[layer] < 0) {
                firstTime[layer] = time;
            }
            // Count the co-occurrence denominators once per token for the previous layer's experts.
            if (layer > 0 && curTime[layer - 1] == time) {
                for (int a = 0; a < numExperts; a++) {
                    if (cur[(layer - 1) * numExperts + a]) {
                        coN[base + a]++;
                    }
                }
            }
            if (prevTime[layer] >= 0 && prevTime[layer] == time - 1) {
                for (int a = 0; a < numExperts; a++) {
                    if (prev[base + a]) {
                        transN[base + a]++;
                    }
                }
            }
        }
        int i = base + expert;
        if (cur[i]) {
            return; // a repeated request within one step adds nothing
        }
        cur[i] = true;
        if (prevTime[layer] >= 0 && prevTime[layer] == time - 1) {
            for (int a = 0; a < numExperts; a++) {
                if (prev[base + a]) {
                    trans[(base + a) * numExperts + expert]++;
                }
            }
        }
        if (layer > 0 && curTime[layer - 1] == time) {
            int pb = (layer - 1) * numExperts;
            for (int a = 0; a < numExperts; a++) {
                if (cur[pb + a]) {
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
        // transition from the most recent step at this layer
        double t = 0;
        int n = 0;
        if (curTime[layer] >= 0) {
            for (int a = 0; a < numExperts; a++) {
                if (cur[base + a]) {
                    long den = transN[base + a];
                    t += den == 0 ? 0 : (double) trans[(base + a) * numExperts + expert] / den;
                    n++;
                }
            }
        }
        out[off + 7] = n == 0 ? 0 : t / n;
        double c = 0;
        int m = 0;
        if (layer > 0 && curTime[layer - 1] >= 0 && curTime[layer - 1] == curTime[layer]) {
            int pb = (layer - 1) * numExperts;
            for (int a = 0; a < numExperts; a++) {
                if (cur[pb + a]) {
                    long den = coN[base + a];
                    c += den == 0 ? 0 : (double) co[(base + a) * numExperts + expert] / den;
                    m++;
                }
            }
        }
        out[off + 8] = m == 0 ? 0 : c / m;
        out[off + 9] = weight[i];
    }

    private void check(int layer, int expert) {
        if (layer < 0 || layer >= numLayers || expert < 0 || expert >= numExperts) {
            throw new IllegalArgumentException("expected layer in [0, " + numLayers + ") and expert in [0, " + numExperts
                    + "), found layer " + layer + " expert " + expert);
        }
    }
}
