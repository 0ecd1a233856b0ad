// Every CUDA kernel against a scalar reference on random inputs and awkward sizes (1, 13, 207, 4098).
// Needs a GPU: skipped (JUnit assumption) where CudaAvailability says no.
package io.strata.kernels.cuda;

import static io.strata.kernels.cuda.GpuTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

import io.strata.compression.DType;
import io.strata.compression.Matrix;
import io.strata.compression.kernel.ScalarDenseKernels;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CudaKernelsTest {
    static CudaContext ctx;
    static CudaKernels k;
    static CudaStream s;

    @BeforeAll
    static void open() {
        ctx = requireGpu();
        k = ctx.kernels();
        s = ctx.newStream();
    }

    @AfterAll
    static void closeStream() {
        if (s != null) s.close();
    }

    static final int[][] SHAPES = {{1, 1}, {13, 13}, {207, 13}, {13, 207}, {4098, 207}, {207, 4098}, {1, 4098}, {4098, 1},
            {64, 4096}, {13, 4096}};

    @Test
    void matmulDenseMatchesScalarReference() {
        Random rnd = new Random(1);
        ScalarDenseKernels ref = new ScalarDenseKernels();
        for (DType dt : new DType[] {DType.BF16, DType.F16, DType.F32}) {
            for (int[] shape : SHAPES) {
                int rows = shape[0], cols = shape[1];
                Matrix hw = hostMatrix("w", gaussian(rnd, rows * cols, 0.5f), dt, rows, cols);
                DeviceMatrix dw = DeviceMatrix.upload(ctx, hw);
                for (int n : new int[] {1, 5, 8}) {
                    float[] x = gaussian(rnd, n * cols, 1f);
                    float[] want = new float[n * rows];
                    ref.matmul(hw, x, n, want, 0, rows);
                    float[] scale = absScale(hw, x, n, null);
                    try (DeviceBuffer dx = upload(ctx, x, "x"); DeviceBuffer dout = poisoned(ctx, n * rows, "out")) {
                        k.matmul(s, dw, dx, dout, n, false);
                        assertClose(want, dout.downloadFloats(n * rows), scale, 5e-5, 1e-6,
                                "matmul " + dt + " [" + rows + "," + cols + "] n=" + n);
                        k.matmul(s, dw, dx, dout, n, true);  // accumulate: 2·want
                        float[] twice = want.clone();
                        for (int i = 0; i < twice.length; i++) twice[i] *= 2;
                        float[] scale2 = scale.clone();
                        for (int i = 0; i < scale2.length; i++) scale2[i] *= 2;
                        assertClose(twice, dout.downloadFloats(n * rows), scale2, 5e-5, 1e-6,
                                "matmul accumulate " + dt + " [" + rows + "," + cols + "] n=" + n);
                    }
                }
                dw.data().close();
            }
        }
    }

    @Test
    void matmulGatheredRows() {
        Random rnd = new Random(2);
        for (DType dt : new DType[] {DType.BF16, DType.F32}) {
            for (int[] shape : new int[][] {{207, 4096}, {4098, 13}, {13, 207}}) {
                int rows = shape[0], cols = shape[1];
                Matrix hw = hostMatrix("gate", gaussian(rnd, rows * cols, 0.5f), dt, rows, cols);
                DeviceMatrix dw = DeviceMatrix.upload(ctx, hw);
                int m = Math.max(1, rows / 4);
                int[] idx = new int[m];
                for (int j = 0; j < m; j++) idx[j] = rnd.nextInt(rows);
                for (int n : new int[] {1, 3}) {
                    float[] x = gaussian(rnd, n * cols, 1f);
                    float[] want = new float[n * m], scale = new float[n * m];
                    for (int t = 0; t < n; t++) {
                        for (int j = 0; j < m; j++) {
                            double acc = 0, sc = 0;
                            for (int c = 0; c < cols; c++) {
                                double p = (double) hw.get(idx[j], c) * x[t * cols + c];
                                acc += p;
                                sc += Math.abs(p);
                            }
                            want[t * m + j] = (float) acc;
                            scale[t * m + j] = (float) sc;
                        }
                    }
                    try (DeviceBuffer dx = upload(ctx, x, "x"); DeviceBuffer di = upload(ctx, idx, "idx");
                         DeviceBuffer dout = poisoned(ctx, n * m, "out")) {
                        k.matmulGathered(s, dw, di, m, dx, dout, n, false);
                        assertClose(want, dout.downloadFloats(n * m), scale, 2e-5, 1e-6, "gathered " + dt + " [" + rows + "," + cols + "] n=" + n);
                    }
                }
                dw.data().close();
            }
        }
    }

    @Test
    void matmulQuantMatchesDequantizedReference() {
        Random rnd = new Random(3);
        for (int bits : new int[] {4, 2}) {
            for (int[] shape : new int[][] {{1, 64}, {13, 64}, {207, 4096}, {4098, 128}, {13, 4160}}) {
                int rows = shape[0], cols = shape[1];
                QuantPacking.Packed p = QuantPacking.pack("up", gaussian(rnd, rows * cols, 0.5f), rows, cols, bits);
                QuantMatrix dq = QuantMatrix.upload(ctx, p);
                for (int n : new int[] {1, 8}) {
                    float[] x = gaussian(rnd, n * cols, 1f);
                    float[] want = new float[n * rows];
                    QuantPacking.matmulReference(p, x, n, want);
                    float[] scale = new float[n * rows];
                    for (int t = 0; t < n; t++)
                        for (int r = 0; r < rows; r++) {
                            double sc = 0;
                            for (int c = 0; c < cols; c++) sc += Math.abs(p.get(r, c) * x[t * cols + c]);
                            scale[t * rows + r] = (float) sc;
                        }
                    try (DeviceBuffer dx = upload(ctx, x, "x"); DeviceBuffer dout = poisoned(ctx, n * rows, "out")) {
                        k.matmulQuant(s, dq, null, rows, dx, dout, n, false);
                        // the kernel factors out scale·(Σq·x − zero·Σx): a little more rounding than the direct sum
                        assertClose(want, dout.downloadFloats(n * rows), scale, 1e-4, 1e-5, "q" + bits + " [" + rows + "," + cols + "] n=" + n);
                    }
                    if (n == 1 && rows > 1) {
                        int m = rows / 2;
                        int[] idx = new int[m];
                        for (int j = 0; j < m; j++) idx[j] = rnd.nextInt(rows);
                        float[] wantG = new float[m], scaleG = new float[m];
                        for (int j = 0; j < m; j++) {
                            wantG[j] = want[idx[j]];
                            scaleG[j] = scale[idx[j]];
                        }
                        try (DeviceBuffer dx = upload(ctx, x, "x"); DeviceBuffer di = upload(ctx, idx, "idx");
                             DeviceBuffer dout = poisoned(ctx, m, "out")) {
                            k.matmulQuant(s, dq, di, m, dx, dout, 1, false);
                            assertClose(wantG, dout.downloadFloats(m), scaleG, 1e-4, 1e-5, "q" + bits + " gathered [" + rows + "," + cols + "]");
                        }
                    }
                }
                dq.q().close();
                dq.scales().close();
                dq.zeros().close();
            }
        }
    }

    @Test
    void matmulQuantReadsTheCompressionModuleLayout() {
        Random rnd = new Random(13);
        for (var format : new io.strata.compression.quant.QuantFormat[] {io.strata.compression.quant.QuantFormat.INT4_G64,
                io.strata.compression.quant.QuantFormat.INT2_G64}) {
            int rows = 207, cols = 4160;
            Matrix w = hostMatrix("w_up", gaussian(rnd, rows * cols, 0.5f), DType.F32, rows, cols);
            var qm = io.strata.compression.quant.QuantizedMatrix.encode(w, format, java.lang.foreign.Arena.ofAuto());
            QuantMatrix dq = QuantMatrix.upload(ctx, qm);
            float[] x = gaussian(rnd, 3 * cols, 1f);
            float[] want = new float[3 * rows], scale = new float[3 * rows];
            for (int t = 0; t < 3; t++)
                for (int r = 0; r < rows; r++) {
                    double a = 0, sc = 0;
                    for (int c = 0; c < cols; c++) {
                        double p = (double) qm.get(r, c) * x[t * cols + c];
                        a += p;
                        sc += Math.abs(p);
                    }
                    want[t * rows + r] = (float) a;
                    scale[t * rows + r] = (float) sc;
                }
            try (DeviceBuffer dx = upload(ctx, x, "x"); DeviceBuffer dout = poisoned(ctx, 3 * rows, "out")) {
                k.matmulQuant(s, dq, null, rows, dx, dout, 3, false);
                assertClose(want, dout.downloadFloats(3 * rows), scale, 1e-4, 1e-5, "compression-layout " + format.label());
            }
            // the three slices of dq share one allocation, released with the context
        }
    }

    @Test
    void downTransposedAccumulate() {
        Random rnd = new Random(4);
        for (DType dt : new DType[] {DType.BF16, DType.F16, DType.F32}) {
            for (int[] shape : new int[][] {{1, 13}, {13, 207}, {207, 4096}, {50, 4098}, {70, 1}}) {
                int inter = shape[0], hidden = shape[1];
                Matrix hwt = hostMatrix("down_t", gaussian(rnd, inter * hidden, 0.5f), dt, inter, hidden);
                DeviceMatrix dwt = DeviceMatrix.upload(ctx, hwt);
                for (boolean gathered : new boolean[] {false, true}) {
                    int m = gathered ? Math.max(1, inter / 3) : inter;
                    int[] idx = new int[m];
                    for (int j = 0; j < m; j++) idx[j] = gathered ? rnd.nextInt(inter) : j;
                    float[] h = gaussian(rnd, m, 1f);
                    float[] y0 = gaussian(rnd, hidden, 1f);
                    float[] want = y0.clone(), scale = new float[hidden];
                    for (int c = 0; c < hidden; c++) {
                        double acc = y0[c], sc = Math.abs(y0[c]);
                        for (int i = 0; i < m; i++) {
                            double p = (double) h[i] * hwt.get(idx[i], c);
                            acc += p;
                            sc += Math.abs(p);
                        }
                        want[c] = (float) acc;
                        scale[c] = (float) sc;
                    }
                    try (DeviceBuffer dh = upload(ctx, h, "h"); DeviceBuffer di = upload(ctx, idx, "idx"); DeviceBuffer dy = upload(ctx, y0, "y")) {
                        k.downTransposedAccumulate(s, dwt, dh, gathered ? di : null, m, dy);
                        assertClose(want, dy.downloadFloats(hidden), scale, 2e-5, 1e-6,
                                "downT " + dt + " [" + inter + "," + hidden + "] m=" + m + (gathered ? " gathered" : ""));
                    }
                }
                dwt.data().close();
            }
        }
    }

    @Test
    void rmsnorm() {
        Random rnd = new Random(5);
        for (int rows : new int[] {1, 13}) {
            for (int dim : new int[] {1, 13, 207, 4098}) {
                float[] x = gaussian(rnd, rows * dim, 2f), w = gaussian(rnd, dim, 1f);
                float eps = 1e-5f;
                float[] want = new float[rows * dim];
                for (int r = 0; r < rows; r++) {
                    double ss = 0;
                    for (int i = 0; i < dim; i++) ss += (double) x[r * dim + i] * x[r * dim + i];
                    double inv = 1.0 / Math.sqrt(ss / dim + eps);
                    for (int i = 0; i < dim; i++) want[r * dim + i] = (float) (x[r * dim + i] * inv * w[i]);
                }
                try (DeviceBuffer dx = upload(ctx, x, "x"); DeviceBuffer dw = upload(ctx, w, "w"); DeviceBuffer dout = poisoned(ctx, rows * dim, "out")) {
                    k.rmsnorm(s, dx, dw, dout, rows, dim, eps);
                    assertClose(want, dout.downloadFloats(rows * dim), null, 1e-5, 1e-6, "rmsnorm " + rows + "x" + dim);
                    k.rmsnorm(s, dx, dw, dx, rows, dim, eps);  // in place
                    assertClose(want, dx.downloadFloats(rows * dim), null, 1e-5, 1e-6, "rmsnorm in place " + rows + "x" + dim);
                }
            }
        }
    }

    @Test
    void ropeNeox() {
        Random rnd = new Random(6);
        for (int headDim : new int[] {2, 64, 128}) {
            for (float theta : new float[] {10000f, 1000000f}) {
                int n = 4, heads = 3;
                int[] pos = {13, 1, 2, 4097};  // tokens 1 and 2 double as the pos0 = 1 case below
                float[] x = gaussian(rnd, n * heads * headDim, 1f);
                float[] want = x.clone(), bound = new float[x.length];
                int half = headDim / 2;
                for (int t = 0; t < n; t++)
                    for (int h = 0; h < heads; h++)
                        for (int i = 0; i < half; i++) {
                            // HF: inv_freq and pos·inv_freq in f32, cos/sin of that f32 angle
                            float invFreq = 1.0f / (float) Math.pow(theta, (float) (2 * i) / (float) headDim);
                            float angle = (float) pos[t] * invFreq;
                            double c = Math.cos(angle), sn = Math.sin(angle);
                            int b = (t * heads + h) * headDim;
                            want[b + i] = (float) (x[b + i] * c - x[b + i + half] * sn);
                            want[b + i + half] = (float) (x[b + i + half] * c + x[b + i] * sn);
                            // powf may differ from Java's pow by an ulp, which can move the f32 angle by a few ulps
                            float mag = Math.abs(x[b + i]) + Math.abs(x[b + i + half]);
                            bound[b + i] = bound[b + i + half] = 4 * Math.ulp(angle) * mag + 2e-6f * mag;
                        }
                try (DeviceBuffer dx = upload(ctx, x, "x"); DeviceBuffer dp = upload(ctx, pos, "pos")) {
                    k.rope(s, dx, dp, 0, n, heads, headDim, theta);
                    assertClose(want, dx.downloadFloats(x.length), bound, 1, 1e-6, "rope headDim=" + headDim + " theta=" + theta);
                }
                // consecutive positions from pos0 (no position buffer): tokens 1..2 of the same input at 1, 2
                float[] x2 = java.util.Arrays.copyOfRange(x, heads * headDim, 3 * heads * headDim);
                try (DeviceBuffer dx = upload(ctx, x2, "x2")) {
                    k.rope(s, dx, null, 1, 2, heads, headDim, theta);
                    float[] w2 = java.util.Arrays.copyOfRange(want, heads * headDim, 3 * heads * headDim);
                    float[] b2 = java.util.Arrays.copyOfRange(bound, heads * headDim, 3 * heads * headDim);
                    assertClose(w2, dx.downloadFloats(x2.length), b2, 1, 1e-6, "rope pos0 headDim=" + headDim + " theta=" + theta);
                }
            }
        }
    }

    @Test
    void attentionDecodeAndPrefill() {
        Random rnd = new Random(7);
        int[][] geoms = {{4, 2, 64}, {8, 8, 128}, {3, 1, 13}, {2, 1, 256}};
        for (int[] g : geoms) {
            int heads = g[0], kvHeads = g[1], hd = g[2];
            for (int[] pn : new int[][] {{0, 1}, {12, 1}, {206, 1}, {0, 5}, {200, 7}, {4090, 1}}) {
                int pos0 = pn[0], n = pn[1], len = pos0 + n;
                float[] q = gaussian(rnd, n * heads * hd, 1f);
                float[] kc = gaussian(rnd, len * kvHeads * hd, 1f), vc = gaussian(rnd, len * kvHeads * hd, 1f);
                float[] want = attentionReference(q, kc, vc, n, pos0, heads, kvHeads, hd);
                try (DeviceBuffer dq = upload(ctx, q, "q"); DeviceBuffer dk = upload(ctx, kc, "k"); DeviceBuffer dv = upload(ctx, vc, "v");
                     DeviceBuffer dout = poisoned(ctx, n * heads * hd, "out")) {
                    k.attention(s, dq, dk, dv, dout, n, pos0, heads, kvHeads, hd);
                    assertClose(want, dout.downloadFloats(want.length), null, 1e-4, 5e-5,
                            "attention heads=" + heads + " kv=" + kvHeads + " hd=" + hd + " pos0=" + pos0 + " n=" + n);
                }
            }
        }
    }

    static float[] attentionReference(float[] q, float[] kc, float[] vc, int n, int pos0, int heads, int kvHeads, int hd) {
        float[] out = new float[n * heads * hd];
        double scale = 1.0 / Math.sqrt(hd);
        for (int t = 0; t < n; t++)
            for (int h = 0; h < heads; h++) {
                int g = h / (heads / kvHeads), len = pos0 + t + 1;
                double[] sc = new double[len];
                double mx = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) {
                    double d = 0;
                    for (int i = 0; i < hd; i++) d += (double) q[(t * heads + h) * hd + i] * kc[(j * kvHeads + g) * hd + i];
                    sc[j] = d * scale;
                    mx = Math.max(mx, sc[j]);
                }
                double sum = 0;
                for (int j = 0; j < len; j++) {
                    sc[j] = Math.exp(sc[j] - mx);
                    sum += sc[j];
                }
                for (int i = 0; i < hd; i++) {
                    double o = 0;
                    for (int j = 0; j < len; j++) o += sc[j] / sum * vc[(j * kvHeads + g) * hd + i];
                    out[(t * heads + h) * hd + i] = (float) o;
                }
            }
        return out;
    }

    @Test
    void routerSoftmaxTopK() {
        Random rnd = new Random(8);
        for (int e : new int[] {8, 13, 64, 128}) {
            for (int topk : new int[] {1, 2, 8}) {
                if (topk > e) continue;
                for (boolean norm : new boolean[] {true, false}) {
                    int n = 5;
                    float[] logits = gaussian(rnd, n * e, 2f);
                    int[] wantIds = new int[n * topk];
                    float[] wantW = new float[n * topk];
                    for (int t = 0; t < n; t++) {
                        double mx = Double.NEGATIVE_INFINITY, sum = 0;
                        for (int i = 0; i < e; i++) mx = Math.max(mx, logits[t * e + i]);
                        double[] p = new double[e];
                        for (int i = 0; i < e; i++) sum += p[i] = Math.exp(logits[t * e + i] - mx);
                        Integer[] order = new Integer[e];
                        for (int i = 0; i < e; i++) order[i] = i;
                        final int tt = t;
                        Arrays.sort(order, (a, b) -> Float.compare(logits[tt * e + b], logits[tt * e + a]) != 0
                                ? Float.compare(logits[tt * e + b], logits[tt * e + a]) : Integer.compare(a, b));
                        double picked = 0;
                        for (int j = 0; j < topk; j++) picked += p[order[j]] / sum;
                        for (int j = 0; j < topk; j++) {
                            wantIds[t * topk + j] = order[j];
                            wantW[t * topk + j] = (float) (p[order[j]] / sum / (norm ? picked : 1.0));
                        }
                    }
                    try (DeviceBuffer dl = upload(ctx, logits, "logits"); DeviceBuffer di = upload(ctx, filled(n * topk, -7), "ids");
                         DeviceBuffer dw = poisoned(ctx, n * topk, "weights")) {
                        k.routerTopK(s, dl, n, e, topk, norm, di, dw);
                        assertArrayEquals(wantIds, di.downloadInts(n * topk), "router ids E=" + e + " k=" + topk);
                        assertClose(wantW, dw.downloadFloats(n * topk), null, 1e-5, 1e-7, "router weights E=" + e + " k=" + topk + " norm=" + norm);
                    }
                }
            }
        }
    }

    @Test
    void elementwiseOps() {
        Random rnd = new Random(9);
        for (int count : new int[] {1, 13, 207, 4098}) {
            float[] a = gaussian(rnd, count, 3f), b = gaussian(rnd, count, 1f);
            String at = " count=" + count;
            float[] mag = new float[count];
            for (int i = 0; i < count; i++) mag[i] = Math.abs(a[i]) + Math.abs(b[i]);
            try (DeviceBuffer da = upload(ctx, a, "a"); DeviceBuffer db = upload(ctx, b, "b"); DeviceBuffer dout = poisoned(ctx, count, "out")) {
                float[] want = new float[count];
                for (int i = 0; i < count; i++) want[i] = (float) (a[i] / (1 + Math.exp(-a[i])) * b[i]);
                k.swiglu(s, da, db, dout, count);
                assertClose(want, dout.downloadFloats(count), null, 1e-5, 1e-6, "swiglu" + at);

                for (int i = 0; i < count; i++) want[i] = a[i] + b[i];
                k.add(s, da, db, dout, count);
                assertClose(want, dout.downloadFloats(count), mag, 1e-6, 0, "add" + at);

                dout.upload(a);
                for (int i = 0; i < count; i++) want[i] = a[i] + 0.25f * b[i];
                k.axpy(s, dout, db, 0.25f, count);
                assertClose(want, dout.downloadFloats(count), mag, 1e-6, 0, "axpy" + at);

                try (DeviceBuffer alpha = upload(ctx, new float[] {9f, -0.5f}, "alpha")) {
                    dout.upload(a);
                    for (int i = 0; i < count; i++) want[i] = a[i] - 0.5f * b[i];
                    k.axpyDevice(s, dout, db, alpha, 1, count);
                    assertClose(want, dout.downloadFloats(count), mag, 1e-6, 0, "axpyDevice" + at);
                }

                dout.upload(a);
                for (int i = 0; i < count; i++) want[i] = a[i] * -1.5f;
                k.scale(s, dout, -1.5f, count);
                assertClose(want, dout.downloadFloats(count), null, 1e-6, 0, "scale" + at);

                dout.upload(a);
                for (int i = 0; i < count; i++) want[i] = Math.min(Math.max(a[i], -1f), 2f);
                k.clamp(s, dout, -1f, 2f, count);
                assertClose(want, dout.downloadFloats(count), null, 0, 0, "clamp" + at);

                int[] idx = new int[count];
                for (int j = 0; j < count; j++) idx[j] = rnd.nextInt(count);
                try (DeviceBuffer di = upload(ctx, idx, "idx")) {
                    for (int j = 0; j < count; j++) want[j] = a[idx[j]];
                    k.gather(s, da, di, count, dout);
                    assertClose(want, dout.downloadFloats(count), null, 0, 0, "gather" + at);
                }
            }
        }
    }

    @Test
    void biasAdd() {
        Random rnd = new Random(10);
        for (int dim : new int[] {1, 13, 207, 4098}) {
            int rows = 3;
            float[] x = gaussian(rnd, rows * dim, 1f), bias = gaussian(rnd, dim, 1f);
            float[] want = x.clone();
            for (int r = 0; r < rows; r++) for (int i = 0; i < dim; i++) want[r * dim + i] += bias[i];
            try (DeviceBuffer dx = upload(ctx, x, "x"); DeviceBuffer dbias = upload(ctx, bias, "bias")) {
                k.biasAdd(s, dx, dbias, rows, dim);
                assertClose(want, dx.downloadFloats(rows * dim), null, 1e-6, 1e-6, "biasAdd dim=" + dim);
            }
        }
    }

    @Test
    void embedRows() {
        Random rnd = new Random(11);
        for (DType dt : new DType[] {DType.BF16, DType.F16, DType.F32}) {
            for (int dim : new int[] {1, 13, 4098}) {
                int vocab = 207;
                Matrix table = hostMatrix("embed_tokens", gaussian(rnd, vocab * dim, 1f), dt, vocab, dim);
                DeviceMatrix dtab = DeviceMatrix.upload(ctx, table);
                int[] ids = {0, 206, 13, 13, 1};
                float[] want = new float[ids.length * dim];
                for (int t = 0; t < ids.length; t++) for (int i = 0; i < dim; i++) want[t * dim + i] = table.get(ids[t], i);
                try (DeviceBuffer di = upload(ctx, ids, "ids"); DeviceBuffer dout = poisoned(ctx, want.length, "out")) {
                    k.embed(s, dtab, di, ids.length, dout);
                    assertClose(want, dout.downloadFloats(want.length), null, 0, 0, "embed " + dt + " dim=" + dim);
                }
                dtab.data().close();
            }
        }
    }

    @Test
    void selectAboveKeepsOrder() {
        Random rnd = new Random(12);
        for (int len : new int[] {1, 13, 207, 4098, 14336}) {
            float[] v = gaussian(rnd, len, 1f);
            float thr = 0.8f;
            int[] want = java.util.stream.IntStream.range(0, len).filter(i -> Math.abs(v[i]) > thr).toArray();
            try (DeviceBuffer dv = upload(ctx, v, "v"); DeviceBuffer di = ctx.alloc(4L * len, "idx"); DeviceBuffer dc = upload(ctx, filled(1, -7), "count")) {
                k.selectAbove(s, dv, len, thr, di, dc);
                int c = dc.downloadInts(1)[0];
                assertEquals(want.length, c, "selectAbove count len=" + len);
                assertArrayEquals(want, Arrays.copyOf(di.downloadInts(len), c), "selectAbove ids len=" + len);
            }
        }
    }

    @Test
    void shapeErrorsNameTheBuffer() {
        try (DeviceBuffer x = ctx.alloc(16, "x-small"); DeviceBuffer out = ctx.alloc(4096, "out")) {
            Matrix hw = hostMatrix("w_gate", new float[8 * 64], DType.BF16, 8, 64);
            DeviceMatrix dw = DeviceMatrix.upload(ctx, hw);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> k.matmul(s, dw, x, out, 1, false));
            assertTrue(e.getMessage().contains("x-small") && e.getMessage().contains("256"), e.getMessage());
            dw.data().close();
        }
    }

    static int[] filled(int count, int value) {
        int[] a = new int[count];
        Arrays.fill(a, value);
        return a;
    }

    static float[] absScale(Matrix w, float[] x, int n, int[] idx) {
        int rows = w.rows(), cols = w.cols();
        float[] sc = new float[n * rows];
        for (int t = 0; t < n; t++)
            for (int r = 0; r < rows; r++) {
                double a = 0;
                for (int c = 0; c < cols; c++) a += Math.abs((double) w.get(r, c) * x[t * cols + c]);
                sc[t * rows + r] = (float) a;
            }
        return sc;
    }
}
