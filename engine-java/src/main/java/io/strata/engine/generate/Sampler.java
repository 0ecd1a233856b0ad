// Picks the next token: greedy, or temperature with top-k and top-p filtering, seeded.
package io.strata.engine.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

public final class Sampler {
    private final SamplingConfig cfg;
    private final SplittableRandom random;

    public Sampler(SamplingConfig cfg) {
        this.cfg = cfg;
        this.random = new SplittableRandom(cfg.seed());
    }

    /** logits[off, off + vocab) → token id. */
    public int sample(float[] logits, int off, int vocab) {
        if (cfg.temperature() <= 0) return argmax(logits, off, vocab);
        Integer[] idx = new Integer[vocab];
        for (int i = 0; i < vocab; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> Float.compare(logits[off + b], logits[off + a]));
        int keep = cfg.topK() > 0 ? Math.min(cfg.topK(), vocab) : vocab;
        double max = logits[off + idx[0]];
        double[] p = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp((logits[off + idx[i]] - max) / cfg.temperature());
            sum += p[i];
        }
        // Nucleus: the smallest prefix (in probability order) whose mass reaches top-p.
        double cum = 0;
        int cut = keep;
        for (int i = 0; i < keep; i++) {
            cum += p[i] / sum;
            if (cum >= cfg.topP()) {
                cut = i + 1;
                break;
            }
        }
        double total = 0;
        for (int i = 0; i < cut; i++) total += p[i];
        double r = random.nextDouble() * total;
        for (int i = 0; i < cut; i++) {
            r -= p[i];
            if (r <= 0) return idx[i];
        }
        return idx[cut - 1];
    }

    public static int argmax(float[] a, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (a[off + i] > a[off + best]) best = i;
        return best;
    }
}
