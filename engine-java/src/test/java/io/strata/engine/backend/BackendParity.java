// Runs every Backend op on two backends with the same random inputs and compares (test-backend-ops style).
package io.strata.engine.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.compression.DType;
import io.strata.compression.Halfs;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import io.strata.tiering.ExpertKey;
import io.strata.tiering.ExpertWeights;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/** Reusable by every backend's tests: {@code BackendParity.checkAll(new CpuBackend(), backendUnderTest, 1e-4)}. */
public final class BackendParity {
    private final Backend ref, impl;
    private final double tol;
    private final SplittableRandom r = new SplittableRandom(42);
    private final Arena arena = Arena.ofAuto();

    private BackendParity(Backend ref, Backend impl, double tol) {
        this.ref = ref;
        this.impl = impl;
        this.tol = tol;
    }

    public static void checkAll(Backend ref, Backend impl, double tol) {
        BackendParity p = new BackendParity(ref, impl, tol);
        int[] sizes = {1, 13, 207, 4098};
        for (DType dt : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            if (!impl.supports(Op.MATMUL, dt)) continue;
            for (int rows : sizes) {
                for (int cols : new int[] {1, 13, 207, 4098}) {
                    if ((long) rows * cols > 4098L * 207) continue;
                    for (int n : new int[] {1, 5}) p.matmul(dt, rows, cols, n);
                }
            }
        }
        for (int dim : sizes) {
            p.rmsnorm(3, dim);
            p.elementwise(dim * 3);
        }
        p.rope(3, 4, 64, 5);
        p.rope(1, 2, 128, 1000);
        p.attention(4, 2, 16, 0, 7);   // prefill of 7 tokens
        p.attention(8, 8, 64, 30, 1);  // decode at position 30
        p.attention(6, 2, 32, 11, 3);  // chunked prefill continuing at position 11
        p.ropeFreqs(3, 4, 64, 64, 5);   // YaRN-like frequencies over every dimension
        p.ropeFreqs(2, 2, 128, 64, 900); // partial rotary (GLM-4.5: half of each head rotates)
        p.latentAttention(4, 32, 8, 0, 7);    // MLA prefill of 7 tokens
        p.latentAttention(16, 512, 64, 40, 1); // decode at position 40 with DeepSeek's kv_lora_rank and rope dims
        p.latentAttention(3, 13, 6, 9, 3);     // chunked prefill continuing at position 9, awkward sizes
        p.rowsOps(13, 207);
        p.expert(64, 96, 3);
        p.expert(207, 13, 1);
        // gpt-oss: YaRN frequencies, sliding window with sinks, the biased clamped SwiGLU expert
        p.ropeTable(3, 4, 64, 5);
        p.ropeTable(1, 2, 128, 100000);
        p.attentionWindowSinks(4, 2, 16, 0, 7, 3, true);   // prefill, window shorter than the chunk
        p.attentionWindowSinks(8, 8, 64, 30, 1, 128, true); // decode inside the window
        p.attentionWindowSinks(6, 2, 32, 11, 3, 5, false);  // chunked prefill, window only
        p.attentionWindowSinks(6, 2, 32, 11, 3, 0, true);   // sinks only
        p.gluExpert(64, 96, 3);
        p.gluExpert(207, 13, 1);
        p.mxfp4Expert(64, 96, 3, false);
        p.mxfp4Expert(96, 32, 9, true); // more tokens than one launch takes
    }

    void mxfp4Expert(int hidden, int inter, int n, boolean clamped) {
        var w = new io.strata.compression.codec.ExpertWeights(matrix(DType.F32, inter, hidden), matrix(DType.F32, inter, hidden),
                matrix(DType.F32, hidden, inter));
        var enc = new io.strata.compression.codec.Mxfp4Codec().encode(w, arena);
        float[] x = rand(n * hidden), gb = rand(inter), ub = rand(inter), db = rand(hidden);
        Backend[] bs = {ref, impl};
        float[][] out = new float[2][];
        for (int i = 0; i < 2; i++) {
            Buf o = bs[i].alloc(n * hidden);
            var glu = clamped ? new io.strata.engine.backend.ClampedGlu(put(bs[i], gb), put(bs[i], ub), put(bs[i], db), 1.702f, 7f) : null;
            try (var h = TestHandles.encoded(bs[i], new ExpertKey(2, hidden * 1000 + inter), enc)) {
                bs[i].expertFfn(h, put(bs[i], x), n, o, glu);
            }
            out[i] = get(bs[i], o, n * hidden);
        }
        compare("expertFfn mxfp4 " + hidden + "x" + inter + " n=" + n + " clamped=" + clamped, out[0], out[1]);
    }

    void ropeTable(int n, int heads, int headDim, int pos0) {
        float[] x = rand(n * heads * headDim);
        float[] f = io.strata.engine.model.RopeScaling.yarn(headDim, 150000, 32, 4096, 32, 1, false, Double.NaN, Double.NaN, Double.NaN).invFreq();
        Backend[] bs = {ref, impl};
        float[][] out = new float[2][];
        for (int i = 0; i < 2; i++) {
            Buf xb = put(bs[i], x);
            bs[i].rope(xb, n, heads, headDim, pos0, f, 1.3466f);
            out[i] = get(bs[i], xb, x.length);
        }
        compare("rope table pos0=" + pos0, out[0], out[1]);
    }

    void attentionWindowSinks(int heads, int kvHeads, int hd, int pos0, int n, int window, boolean sinks) {
        Backend[] bs = {ref, impl};
        float[][] out = new float[2][];
        float[] kPast = rand(pos0 * kvHeads * hd), vPast = rand(pos0 * kvHeads * hd);
        float[] k = rand(n * kvHeads * hd), v = rand(n * kvHeads * hd), q = rand(n * heads * hd), sink = rand(heads);
        for (int j = 0; j < sink.length; j++) sink[j] *= 3; // large enough to take a visible share
        for (int i = 0; i < 2; i++) {
            KvCache c = bs[i].newKvCache(2, pos0 + n + 4, kvHeads, hd);
            if (pos0 > 0) bs[i].kvStore(c, 1, 0, pos0, put(bs[i], kPast), put(bs[i], vPast));
            bs[i].kvStore(c, 1, pos0, n, put(bs[i], k), put(bs[i], v));
            Buf o = bs[i].alloc(n * heads * hd);
            bs[i].attention(put(bs[i], q), c, 1, pos0, n, heads, o, window, sinks ? put(bs[i], sink) : null);
            out[i] = get(bs[i], o, n * heads * hd);
        }
        compare("attention window=" + window + " sinks=" + sinks + " h=" + heads + " pos0=" + pos0 + " n=" + n, out[0], out[1]);
    }

    void gluExpert(int hidden, int inter, int n) {
        ExpertWeights w = new ExpertWeights(matrix(DType.BF16, inter, hidden), matrix(DType.BF16, inter, hidden), matrix(DType.BF16, hidden, inter));
        float[] x = rand(n * hidden), gb = rand(inter), ub = rand(inter), db = rand(hidden);
        for (int j = 0; j < x.length; j++) x[j] *= 8; // reach the clamp (limit 7) on some channels
        Backend[] bs = {ref, impl};
        float[][] out = new float[2][];
        for (int i = 0; i < 2; i++) {
            Buf o = bs[i].alloc(n * hidden);
            var glu = new io.strata.engine.backend.ClampedGlu(put(bs[i], gb), put(bs[i], ub), put(bs[i], db), 1.702f, 7f);
            // Layer 1: the keys of expert() above are (0, hidden), and a VRAM tier serves a key it holds.
            try (var h = TestHandles.dense(bs[i], new ExpertKey(1, hidden), w)) {
                bs[i].expertFfn(h, put(bs[i], x), n, o, glu);
            }
            out[i] = get(bs[i], o, n * hidden);
        }
        compare("expertFfn clamped GLU " + hidden + "x" + inter + " n=" + n, out[0], out[1]);
    }

    float[] rand(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    Matrix matrix(DType dt, int rows, int cols) {
        MemorySegment m = arena.allocate((long) rows * cols * dt.bytes, 64);
        for (long i = 0; i < (long) rows * cols; i++) {
            float v = (float) (r.nextDouble() * 2 - 1);
            switch (dt) {
                case F32 -> m.setAtIndex(Layouts.F32, i, v);
                case BF16 -> m.setAtIndex(Layouts.I16, i, Halfs.floatToBf16(v));
                default -> m.setAtIndex(Layouts.I16, i, Halfs.floatToF16(v));
            }
        }
        return new Matrix("w" + rows + "x" + cols, m, dt, rows, cols);
    }

    Buf put(Backend b, float[] v) {
        Buf x = b.alloc(v.length);
        b.write(x, v, 0, v.length);
        return x;
    }

    float[] get(Backend b, Buf x, int n) {
        float[] v = new float[n];
        b.read(x, v, 0, n);
        return v;
    }

    void compare(String what, float[] a, float[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            assertTrue(!Float.isNaN(b[i]), what + ": NaN at " + i);
            num += (a[i] - b[i]) * (double) (a[i] - b[i]);
            den += (double) a[i] * a[i];
        }
        double rel = Math.sqrt(num / Math.max(den, 1e-30));
        assertTrue(rel <= tol || num < 1e-20, what + ": relative error " + rel + " > " + tol);
    }

    void matmul(DType dt, int rows, int cols, int n) {
        Matrix m = matrix(dt, rows, cols);
        float[] x = rand(n * cols);
        float[][] out = new float[2][];
        Backend[] bs = {ref, impl};
        for (int i = 0; i < 2; i++) {
            Buf o = bs[i].alloc(n * rows);
            bs[i].matmul(bs[i].weight(m), put(bs[i], x), n, o);
            out[i] = get(bs[i], o, n * rows);
        }
        compare("matmul " + dt + " " + rows + "x" + cols + " n=" + n, out[0], out[1]);
        // embedding lookup from the same table
        int[] ids = {0, rows - 1, rows / 2};
        for (int i = 0; i < 2; i++) {
            Buf o = bs[i].alloc(ids.length * cols);
            bs[i].embed(bs[i].weight(m), ids, o);
            out[i] = get(bs[i], o, ids.length * cols);
        }
        compare("embed " + dt, out[0], out[1]);
    }

    void rmsnorm(int n, int dim) {
        float[] x = rand(n * dim);
        Matrix w = matrix(DType.F32, 1, dim);
        float[][] out = new float[2][];
        Backend[] bs = {ref, impl};
        for (int i = 0; i < 2; i++) {
            Buf xb = put(bs[i], x), o = bs[i].alloc(n * dim);
            bs[i].rmsnorm(xb, bs[i].vector(w), o, n, dim, 1e-6f);
            out[i] = get(bs[i], o, n * dim);
        }
        compare("rmsnorm " + dim, out[0], out[1]);
    }

    void elementwise(int len) {
        float[] a = rand(len), b = rand(len), bias = rand(len / 3);
        Backend[] bs = {ref, impl};
        float[][] s = new float[2][], ax = new float[2][], cl = new float[2][], bi = new float[2][];
        for (int i = 0; i < 2; i++) {
            Buf ga = put(bs[i], a), ub = put(bs[i], b), o = bs[i].alloc(len);
            bs[i].siluMul(ga, ub, o, len);
            s[i] = get(bs[i], o, len);
            bs[i].axpy(ga, ub, 0.37f, len);
            ax[i] = get(bs[i], ga, len);
            bs[i].clamp(ub, len, -0.5f, 0.25f);
            cl[i] = get(bs[i], ub, len);
            Buf c = bs[i].alloc(len);
            bs[i].copy(ga, c, len);
            bs[i].addBias(c, put(bs[i], bias), 3, len / 3);
            bi[i] = get(bs[i], c, len);
        }
        compare("siluMul " + len, s[0], s[1]);
        compare("axpy " + len, ax[0], ax[1]);
        compare("clamp " + len, cl[0], cl[1]);
        compare("copy+addBias " + len, bi[0], bi[1]);
    }

    void rope(int n, int heads, int headDim, int pos0) {
        float[] x = rand(n * heads * headDim);
        Backend[] bs = {ref, impl};
        float[][] out = new float[2][];
        for (int i = 0; i < 2; i++) {
            Buf xb = put(bs[i], x);
            bs[i].rope(xb, n, heads, headDim, pos0, 10000f);
            out[i] = get(bs[i], xb, x.length);
        }
        compare("rope pos0=" + pos0, out[0], out[1]);
    }

    void ropeFreqs(int n, int heads, int headDim, int rotaryDim, int pos0) {
        float[] x = rand(n * heads * headDim), inv = new float[rotaryDim / 2];
        for (int i = 0; i < inv.length; i++) inv[i] = (float) (Math.pow(10000, -2.0 * i / rotaryDim) / (i % 3 == 0 ? 1 : 4));
        RopeFreqs f = new RopeFreqs(inv, 1.17f);
        Backend[] bs = {ref, impl};
        float[][] out = new float[2][];
        for (int i = 0; i < 2; i++) {
            Buf xb = put(bs[i], x);
            bs[i].rope(xb, n, heads, headDim, pos0, f);
            out[i] = get(bs[i], xb, x.length);
        }
        compare("rope freqs rot=" + rotaryDim + "/" + headDim + " pos0=" + pos0, out[0], out[1]);
    }

    void latentAttention(int heads, int rank, int rope, int pos0, int n) {
        Backend[] bs = {ref, impl};
        float[][] out = new float[2][];
        float[] latPast = rand(pos0 * rank), pePast = rand(pos0 * rope), lat = rand(n * rank), pe = rand(n * rope);
        float[] qLat = rand(n * heads * rank), qPe = rand(n * heads * rope);
        float scale = (float) (1 / Math.sqrt(rank / 4.0));
        for (int i = 0; i < 2; i++) {
            LatentCache c = bs[i].newLatentCache(2, pos0 + n + 4, rank, rope);
            if (pos0 > 0) bs[i].latentStore(c, 1, 0, pos0, put(bs[i], latPast), put(bs[i], pePast));
            bs[i].latentStore(c, 1, pos0, n, put(bs[i], lat), put(bs[i], pe));
            Buf o = bs[i].alloc(n * heads * rank);
            bs[i].latentAttention(put(bs[i], qLat), put(bs[i], qPe), c, 1, pos0, n, heads, scale, o);
            out[i] = get(bs[i], o, n * heads * rank);
        }
        compare("latent attention h=" + heads + " rank=" + rank + " rope=" + rope + " pos0=" + pos0 + " n=" + n, out[0], out[1]);
    }

    void attention(int heads, int kvHeads, int hd, int pos0, int n) {
        Backend[] bs = {ref, impl};
        float[][] out = new float[2][];
        float[] kPast = rand(pos0 * kvHeads * hd), vPast = rand(pos0 * kvHeads * hd);
        float[] k = rand(n * kvHeads * hd), v = rand(n * kvHeads * hd), q = rand(n * heads * hd);
        for (int i = 0; i < 2; i++) {
            KvCache c = bs[i].newKvCache(2, pos0 + n + 4, kvHeads, hd);
            if (pos0 > 0) bs[i].kvStore(c, 1, 0, pos0, put(bs[i], kPast), put(bs[i], vPast));
            bs[i].kvStore(c, 1, pos0, n, put(bs[i], k), put(bs[i], v));
            Buf o = bs[i].alloc(n * heads * hd);
            bs[i].attention(put(bs[i], q), c, 1, pos0, n, heads, o);
            out[i] = get(bs[i], o, n * heads * hd);
        }
        compare("attention h=" + heads + " kv=" + kvHeads + " pos0=" + pos0 + " n=" + n, out[0], out[1]);
    }

    void rowsOps(int rows, int dim) {
        float[] src = rand(rows * dim), dst = rand(rows * dim);
        int[] sel = {rows - 1, 0, 5};
        float[] w = {0.5f, -1.25f, 2f};
        Backend[] bs = {ref, impl};
        float[][] g = new float[2][], s = new float[2][];
        for (int i = 0; i < 2; i++) {
            Buf o = bs[i].alloc(sel.length * dim);
            bs[i].gatherRows(put(bs[i], src), sel, dim, o);
            g[i] = get(bs[i], o, sel.length * dim);
            Buf d = put(bs[i], dst);
            bs[i].scatterAddRows(o, sel, w, dim, d);
            s[i] = get(bs[i], d, rows * dim);
        }
        compare("gatherRows", g[0], g[1]);
        compare("scatterAddRows", s[0], s[1]);
    }

    void expert(int hidden, int inter, int n) {
        ExpertWeights w = new ExpertWeights(matrix(DType.BF16, inter, hidden), matrix(DType.BF16, inter, hidden), matrix(DType.BF16, hidden, inter));
        float[] x = rand(n * hidden);
        Backend[] bs = {ref, impl};
        float[][] out = new float[2][];
        for (int i = 0; i < 2; i++) {
            Buf o = bs[i].alloc(n * hidden);
            try (var h = TestHandles.dense(bs[i], new ExpertKey(0, hidden), w)) {
                bs[i].expertFfn(h, put(bs[i], x), n, o);
            }
            out[i] = get(bs[i], o, n * hidden);
        }
        compare("expertFfn " + hidden + "x" + inter + " n=" + n, out[0], out[1]);
    }
}
