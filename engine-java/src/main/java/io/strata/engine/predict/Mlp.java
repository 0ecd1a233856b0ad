// A two-layer perceptron (in → inner → out, ReLU) trained with Adam on soft-target cross-entropy; plain Java.
package io.strata.engine.predict;

import java.util.Random;

/**
 * {@code z = W2 · relu(W1 · ((x - mean) ⊙ invStd) + b1) + b2}; the loss is the cross-entropy of softmax(z)
 * against a target distribution (1/k on each of the k routed experts).
 * W1 is stored transposed, (in, inner), so both the forward pass and the gradient are axpy loops over the
 * inner dimension, which the JIT vectorizes (a dot-product reduction it would not reorder).
 */
public final class Mlp {
    final int in, inner, out;
    final float[] mean, invStd; // (in) input standardisation, fixed before training
    final float[] w1t, b1;      // (in, inner), (inner)
    final float[] w2, b2;       // (out, inner), (out)

    Mlp(int in, int inner, int out, float[] mean, float[] invStd, float[] w1t, float[] b1, float[] w2, float[] b2) {
        this.in = in;
        this.inner = inner;
        this.out = out;
        this.mean = mean;
        this.invStd = invStd;
        this.w1t = w1t;
        this.b1 = b1;
        this.w2 = w2;
        this.b2 = b2;
        check("mean", mean, in);
        check("inv_std", invStd, in);
        check("w1t", w1t, in * inner);
        check("b1", b1, inner);
        check("w2", w2, out * inner);
        check("b2", b2, out);
    }

    private static void check(String name, float[] a, int n) {
        if (a.length != n) throw new IllegalArgumentException("mlp " + name + ": expected " + n + " values, found " + a.length);
    }

    /** He-initialised weights, zero biases; standardisation from the training inputs xs (rows of in). */
    static Mlp init(int in, int inner, int out, float[][] xs, long seed) {
        float[] mean = new float[in], invStd = new float[in];
        double[] s = new double[in], s2 = new double[in];
        for (float[] x : xs) for (int i = 0; i < in; i++) {
            s[i] += x[i];
            s2[i] += (double) x[i] * x[i];
        }
        int n = Math.max(1, xs.length);
        for (int i = 0; i < in; i++) {
            double m = s[i] / n, var = Math.max(0, s2[i] / n - m * m);
            mean[i] = (float) m;
            invStd[i] = (float) (1.0 / Math.sqrt(var + 1e-6));
        }
        Random r = new Random(seed);
        float[] w1t = new float[in * inner], w2 = new float[out * inner];
        double s1 = Math.sqrt(2.0 / in), sd2 = Math.sqrt(1.0 / inner);
        for (int i = 0; i < w1t.length; i++) w1t[i] = (float) (r.nextGaussian() * s1);
        for (int i = 0; i < w2.length; i++) w2[i] = (float) (r.nextGaussian() * sd2);
        return new Mlp(in, inner, out, mean, invStd, w1t, new float[inner], w2, new float[out]);
    }

    /** Logits (out) of x (in). */
    float[] forward(float[] x) {
        float[] h = new float[inner], xs = new float[in], z = new float[out];
        hiddenLayer(x, xs, h);
        outputLayer(h, z);
        return z;
    }

    private void hiddenLayer(float[] x, float[] xs, float[] h) {
        System.arraycopy(b1, 0, h, 0, inner);
        for (int i = 0; i < in; i++) {
            float v = (x[i] - mean[i]) * invStd[i];
            xs[i] = v;
            if (v == 0f) continue;
            int off = i * inner;
            for (int j = 0; j < inner; j++) h[j] += v * w1t[off + j];
        }
        for (int j = 0; j < inner; j++) if (h[j] < 0f) h[j] = 0f;
    }

    private void outputLayer(float[] h, float[] z) {
        for (int e = 0; e < out; e++) {
            float s = b2[e];
            int off = e * inner;
            for (int j = 0; j < inner; j++) s += w2[off + j] * h[j];
            z[e] = s;
        }
    }

    /** Training hyper-parameters. */
    public record TrainOptions(int epochs, int batch, float learningRate, long seed) {
        public static TrainOptions defaults() {
            return new TrainOptions(12, 32, 1e-3f, 1);
        }
    }

    /**
     * Trains in place with Adam (β1 0.9, β2 0.999, ε 1e-8) on mini-batches drawn in a seeded shuffled order.
     *
     * @param xs      (samples) inputs of in values
     * @param targets (samples) target distributions of out values (each sums to 1)
     * @return mean loss (nats) of each epoch, measured while training
     */
    double[] train(float[][] xs, float[][] targets, TrainOptions o) {
        int n = xs.length;
        if (n != targets.length) {
            throw new IllegalArgumentException("mlp training: expected as many targets as inputs (" + n + "), found " + targets.length);
        }
        float[] gw1t = new float[w1t.length], gb1 = new float[inner], gw2 = new float[w2.length], gb2 = new float[out];
        Adam a1 = new Adam(w1t.length), ab1 = new Adam(inner), a2 = new Adam(w2.length), ab2 = new Adam(out);
        float[] h = new float[inner], xsd = new float[in], z = new float[out], dz = new float[out], dh = new float[inner];
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Random r = new Random(o.seed());
        double[] losses = new double[o.epochs()];
        int step = 0;
        for (int ep = 0; ep < o.epochs(); ep++) {
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            double lossSum = 0;
            for (int b0 = 0; b0 < n; b0 += o.batch()) {
                int b1n = Math.min(n, b0 + o.batch());
                java.util.Arrays.fill(gw1t, 0f);
                java.util.Arrays.fill(gb1, 0f);
                java.util.Arrays.fill(gw2, 0f);
                java.util.Arrays.fill(gb2, 0f);
                for (int s = b0; s < b1n; s++) {
                    float[] x = xs[order[s]], y = targets[order[s]];
                    hiddenLayer(x, xsd, h);
                    outputLayer(h, z);
                    lossSum += softmaxGrad(z, y, dz);
                    java.util.Arrays.fill(dh, 0f);
                    for (int e = 0; e < out; e++) {
                        float d = dz[e];
                        gb2[e] += d;
                        int off = e * inner;
                        for (int j = 0; j < inner; j++) {
                            gw2[off + j] += d * h[j];
                            dh[j] += d * w2[off + j];
                        }
                    }
                    for (int j = 0; j < inner; j++) {
                        if (h[j] <= 0f) dh[j] = 0f;
                        gb1[j] += dh[j];
                    }
                    for (int i = 0; i < in; i++) {
                        float v = xsd[i];
                        if (v == 0f) continue;
                        int off = i * inner;
                        for (int j = 0; j < inner; j++) gw1t[off + j] += v * dh[j];
                    }
                }
                float scale = 1f / (b1n - b0);
                step++;
                a1.step(w1t, gw1t, scale, o.learningRate(), step);
                ab1.step(b1, gb1, scale, o.learningRate(), step);
                a2.step(w2, gw2, scale, o.learningRate(), step);
                ab2.step(b2, gb2, scale, o.learningRate(), step);
            }
            losses[ep] = lossSum / n;
        }
        return losses;
    }

    /** Mean cross-entropy (nats) of softmax(z) against targets over the samples. */
    double loss(float[][] xs, float[][] targets) {
        double s = 0;
        float[] dz = new float[out];
        for (int i = 0; i < xs.length; i++) s += softmaxGrad(forward(xs[i]), targets[i], dz);
        return s / Math.max(1, xs.length);
    }

    /** dz = softmax(z) - y; returns -Σ y·log softmax(z). */
    private static double softmaxGrad(float[] z, float[] y, float[] dz) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : z) max = Math.max(max, v);
        double sum = 0;
        for (float v : z) sum += Math.exp(v - max);
        double logSum = Math.log(sum) + max, loss = 0;
        for (int e = 0; e < z.length; e++) {
            double lp = z[e] - logSum;
            dz[e] = (float) (Math.exp(lp) - y[e]);
            if (y[e] > 0) loss -= y[e] * lp;
        }
        return loss;
    }

    /** Adam moments of one parameter array. */
    private static final class Adam {
        final float[] m, v;

        Adam(int n) {
            m = new float[n];
            v = new float[n];
        }

        void step(float[] w, float[] g, float scale, float lr, int t) {
            float c1 = (float) (1 - Math.pow(0.9, t)), c2 = (float) (1 - Math.pow(0.999, t));
            float a = lr / c1;
            float ic2 = 1f / c2;
            for (int i = 0; i < w.length; i++) {
                float gi = g[i] * scale;
                m[i] = 0.9f * m[i] + 0.1f * gi;
                v[i] = 0.999f * v[i] + 0.001f * gi * gi;
                w[i] -= a * m[i] / ((float) Math.sqrt(v[i] * ic2) + 1e-8f);
            }
        }
    }
}
