// A one-hidden-layer perceptron for regression, trained with Adam in plain Java.
package io.strata.tiering.policy;

import java.util.SplittableRandom;

/**
 * {@code y = w2 · relu(W1 · norm(x) + b1) + b2}, where {@code norm} standardises each input with the training
 * mean and standard deviation. Small by design: it runs on every eviction.
 *
 * @param inputs input features
 * @param hidden hidden units
 * @param w1     (hidden, inputs) row-major
 * @param b1     (hidden)
 * @param w2     (hidden)
 * @param b2     output bias
 * @param mean   (inputs) feature means of the training set
 * @param std    (inputs) feature standard deviations (1 where a feature is constant)
 */
public record Mlp(int inputs, int hidden, double[] w1, double[] b1, double[] w2, double b2, double[] mean, double[] std) {

    /** Training hyper-parameters. */
    public record Training(int hidden, int epochs, int batch, double learningRate, double weightDecay, long seed) {
        public static Training defaults() {
            return new Training(16, 40, 64, 3e-3, 1e-4, 1);
        }
    }

    /** Prediction for {@code x[off .. off+inputs)}. */
    public double predict(double[] x, int off) {
        double y = b2;
        for (int h = 0; h < hidden; h++) {
            double a = b1[h];
            int row = h * inputs;
            for (int i = 0; i < inputs; i++) {
                a += w1[row + i] * ((x[off + i] - mean[i]) / std[i]);
            }
            if (a > 0) {
                y += w2[h] * a;
            }
        }
        return y;
    }

    /**
     * Fits the samples by minimising mean squared error with Adam.
     *
     * @param x (n, inputs) row-major
     * @param y (n) targets
     */
    public static Mlp train(int inputs, double[] x, double[] y, Training cfg) {
        int n = y.length;
        if (x.length != (long) n * inputs) {
            throw new IllegalArgumentException("expected " + (long) n * inputs + " feature values for " + n + " samples of "
                    + inputs + ", found " + x.length);
        }
        double[] mean = new double[inputs];
        double[] std = new double[inputs];
        for (int s = 0; s < n; s++) {
            for (int i = 0; i < inputs; i++) {
                mean[i] += x[s * inputs + i];
            }
        }
        for (int i = 0; i < inputs; i++) {
            mean[i] /= Math.max(1, n);
        }
        for (int s = 0; s < n; s++) {
            for (int i = 0; i < inputs; i++) {
                double d = x[s * inputs + i] - mean[i];
                std[i] += d * d;
            }
        }
        for (int i = 0; i < inputs; i++) {
            std[i] = Math.sqrt(std[i] / Math.max(1, n));
            if (std[i] < 1e-9) {
                std[i] = 1;
            }
        }
        int hd = cfg.hidden();
        SplittableRandom rnd = new SplittableRandom(cfg.seed());
        double[] w1 = new double[hd * inputs];
        double[] b1 = new double[hd];
        double[] w2 = new double[hd];
        double scale1 = Math.sqrt(2.0 / inputs);
        double scale2 = Math.sqrt(1.0 / hd);
        for (int i = 0; i < w1.length; i++) {
            w1[i] = rnd.nextGaussian() * scale1;
        }
        for (int h = 0; h < hd; h++) {
            w2[h] = rnd.nextGaussian() * scale2;
        }
        double meanY = 0;
        for (double v : y) {
            meanY += v;
        }
        double[] b2 = {n == 0 ? 0 : meanY / n};
        // Parameters as one flat vector for Adam: w1, b1, w2, b2.
        int np = w1.length + hd + hd + 1;
        double[] m = new double[np];
        double[] v = new double[np];
        double[] g = new double[np];
        double[] xn = new double[inputs];
        double[] act = new double[hd];
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        long step = 0;
        double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
        for (int epoch = 0; epoch < cfg.epochs(); epoch++) {
            for (int i = n - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int start = 0; start < n; start += cfg.batch()) {
                int end = Math.min(n, start + cfg.batch());
                java.util.Arrays.fill(g, 0);
                for (int bi = start; bi < end; bi++) {
                    int s = order[bi];
                    for (int i = 0; i < inputs; i++) {
                        xn[i] = (x[s * inputs + i] - mean[i]) / std[i];
                    }
                    double out = b2[0];
                    for (int h = 0; h < hd; h++) {
                        double a = b1[h];
                        for (int i = 0; i < inputs; i++) {
                            a += w1[h * inputs + i] * xn[i];
                        }
                        act[h] = a;
                        if (a > 0) {
                            out += w2[h] * a;
                        }
                    }
                    double dout = 2 * (out - y[s]) / (end - start);
                    for (int h = 0; h < hd; h++) {
                        if (act[h] > 0) {
                            g[w1.length + hd + h] += dout * act[h];
                            double da = dout * w2[h];
                            g[w1.length + h] += da;
                            for (int i = 0; i < inputs; i++) {
                                g[h * inputs + i] += da * xn[i];
                            }
                        }
                    }
                    g[np - 1] += dout;
                }
                step++;
                double lr = cfg.learningRate() * Math.sqrt(1 - Math.pow(beta2, step)) / (1 - Math.pow(beta1, step));
                for (int p = 0; p < np; p++) {
                    double gp = g[p];
                    m[p] = beta1 * m[p] + (1 - beta1) * gp;
                    v[p] = beta2 * v[p] + (1 - beta2) * gp * gp;
                    double upd = lr * m[p] / (Math.sqrt(v[p]) + eps);
                    if (p < w1.length) {
                        w1[p] -= upd + cfg.learningRate() * cfg.weightDecay() * w1[p];
                    } else if (p < w1.length + hd) {
                        b1[p - w1.length] -= upd;
                    } else if (p < np - 1) {
                        int h = p - w1.length - hd;
                        w2[h] -= upd + cfg.learningRate() * cfg.weightDecay() * w2[h];
                    } else {
                        b2[0] -= upd;
                    }
                }
            }
        }
        return new Mlp(inputs, hd, w1, b1, w2, b2[0], mean, std);
    }

    /**
     * Fits a ranking instead of values: for every pair (i, j) of samples in the same group (one eviction context)
     * whose targets differ, minimises the logistic loss {@code log(1 + exp(-sign(y_i - y_j) · (s_i - s_j)))} of the
     * scores s. Only the order of the predictions matters to a policy that evicts the largest, so this optimises
     * what the policy uses; the output is a score, not a distance.
     *
     * @param x     (n, inputs) row-major
     * @param y     (n) targets, compared within a group only
     * @param group (n) group id of each sample; samples of one group are contiguous
     */
    public static Mlp trainPairwise(int inputs, double[] x, double[] y, int[] group, Training cfg) {
        Mlp init = train(inputs, x, y, new Training(cfg.hidden(), 0, cfg.batch(), cfg.learningRate(), cfg.weightDecay(), cfg.seed()));
        int n = y.length;
        // Pairs (i, j) with y_i > y_j inside a group.
        int[] pi = new int[16];
        int[] pj = new int[16];
        int np = 0;
        for (int a = 0; a < n; ) {
            int b = a;
            while (b < n && group[b] == group[a]) {
                b++;
            }
            for (int i = a; i < b; i++) {
                for (int j = a; j < b; j++) {
                    if (y[i] > y[j]) {
                        if (np == pi.length) {
                            pi = java.util.Arrays.copyOf(pi, np * 2);
                            pj = java.util.Arrays.copyOf(pj, np * 2);
                        }
                        pi[np] = i;
                        pj[np] = j;
                        np++;
                    }
                }
            }
            a = b;
        }
        int hd = cfg.hidden();
        double[] w1 = init.w1.clone(), b1 = init.b1.clone(), w2 = init.w2.clone();
        double[] mean = init.mean, std = init.std;
        int nparam = w1.length + 2 * hd;
        double[] m = new double[nparam], v = new double[nparam], g = new double[nparam];
        double[] xi = new double[inputs], xj = new double[inputs], ai = new double[hd], aj = new double[hd];
        SplittableRandom rnd = new SplittableRandom(cfg.seed() + 1);
        int[] order = new int[np];
        for (int i = 0; i < np; i++) {
            order[i] = i;
        }
        long step = 0;
        double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
        for (int epoch = 0; epoch < cfg.epochs(); epoch++) {
            for (int i = np - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int start = 0; start < np; start += cfg.batch()) {
                int end = Math.min(np, start + cfg.batch());
                java.util.Arrays.fill(g, 0);
                for (int q = start; q < end; q++) {
                    int si = pi[order[q]], sj = pj[order[q]];
                    for (int k = 0; k < inputs; k++) {
                        xi[k] = (x[si * inputs + k] - mean[k]) / std[k];
                        xj[k] = (x[sj * inputs + k] - mean[k]) / std[k];
                    }
                    double d = 0;
                    for (int h = 0; h < hd; h++) {
                        double a1 = b1[h], a2 = b1[h];
                        for (int k = 0; k < inputs; k++) {
                            a1 += w1[h * inputs + k] * xi[k];
                            a2 += w1[h * inputs + k] * xj[k];
                        }
                        ai[h] = a1;
                        aj[h] = a2;
                        d += w2[h] * (Math.max(0, a1) - Math.max(0, a2));
                    }
                    // s_i should exceed s_j: loss log(1 + exp(-d)), dL/dd = -sigmoid(-d).
                    double dd = -1 / (1 + Math.exp(d)) / (end - start);
                    for (int h = 0; h < hd; h++) {
                        double ri = ai[h] > 0 ? 1 : 0, rj = aj[h] > 0 ? 1 : 0;
                        g[w1.length + hd + h] += dd * (ri * ai[h] - rj * aj[h]);
                        double gi = dd * w2[h] * ri, gj = -dd * w2[h] * rj;
                        g[w1.length + h] += gi + gj;
                        for (int k = 0; k < inputs; k++) {
                            g[h * inputs + k] += gi * xi[k] + gj * xj[k];
                        }
                    }
                }
                step++;
                double lr = cfg.learningRate() * Math.sqrt(1 - Math.pow(beta2, step)) / (1 - Math.pow(beta1, step));
                for (int p = 0; p < nparam; p++) {
                    m[p] = beta1 * m[p] + (1 - beta1) * g[p];
                    v[p] = beta2 * v[p] + (1 - beta2) * g[p] * g[p];
                    double upd = lr * m[p] / (Math.sqrt(v[p]) + eps);
                    if (p < w1.length) {
                        w1[p] -= upd + cfg.learningRate() * cfg.weightDecay() * w1[p];
                    } else if (p < w1.length + hd) {
                        b1[p - w1.length] -= upd;
                    } else {
                        int h = p - w1.length - hd;
                        w2[h] -= upd + cfg.learningRate() * cfg.weightDecay() * w2[h];
                    }
                }
            }
        }
        return new Mlp(inputs, hd, w1, b1, w2, 0, mean, std);
    }

    /** Mean squared error on (x, y). */
    public double mse(double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            double d = predict(x, i * inputs) - y[i];
            s += d * d;
        }
        return y.length == 0 ? 0 : s / y.length;
    }
}
