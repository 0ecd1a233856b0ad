// The CPU backend: Vector API kernels (scalar twins selectable), row-parallel on platform threads.
package io.strata.engine.backend.cpu;

import io.strata.compression.DType;
import io.strata.compression.Matrix;
import io.strata.compression.kernel.DenseKernels;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.kernel.Parallel;
import io.strata.engine.backend.Backend;
import io.strata.engine.backend.Buf;
import io.strata.engine.backend.KvCache;
import io.strata.engine.backend.Op;
import io.strata.engine.backend.Weight;
import io.strata.tiering.ExpertHandle;
import io.strata.tiering.ExpertLayout;
import io.strata.compression.kernel.QuantKernels;
import io.strata.engine.backend.FloeFfn;
import io.strata.engine.backend.HostQuantFfn;
import io.strata.tiering.ExpertWeights;

/**
 * Computes on the CPU from mapped or host-tier memory directly (no weight copies).
 * Matrix products and the per-element ops (norm, rotary embedding, SwiGLU gate, axpy, clamp) use
 * {@link Kernels#dense()} (Vector API, or the scalar twin with {@code -Dstrata.vector=false});
 * products are split over rows with {@link Parallel}.
 */
public final class CpuBackend implements Backend {
    /** Rows per thread below which a product runs on one thread (thread hand-off costs ~µs). */
    private static final int MIN_ROWS_PER_THREAD = 64;
    private final DenseKernels kernels;
    private static final QuantKernels QUANT = Kernels.quant();

    public CpuBackend() {
        this(Kernels.dense());
    }

    public CpuBackend(DenseKernels kernels) {
        this.kernels = kernels;
    }

    public DenseKernels kernels() {
        return kernels;
    }

    @Override
    public String name() {
        return "cpu (" + kernels.name() + ", " + Parallel.threads() + " threads)";
    }

    @Override
    public boolean supports(Op op, DType weightDtype) {
        return weightDtype.isFloat();
    }

    private static CpuBuf b(Buf x) {
        return (CpuBuf) x;
    }

    @Override
    public Buf alloc(int length) {
        return new CpuBuf(new float[length], 0, length);
    }

    @Override
    public void zero(Buf x, int len) {
        CpuBuf b = b(x);
        java.util.Arrays.fill(b.a(), b.off(), b.off() + len, 0f);
    }

    @Override
    public void write(Buf dst, float[] src, int srcOff, int len) {
        CpuBuf d = b(dst);
        System.arraycopy(src, srcOff, d.a(), d.off(), len);
    }

    @Override
    public void read(Buf src, float[] dst, int dstOff, int len) {
        CpuBuf s = b(src);
        System.arraycopy(s.a(), s.off(), dst, dstOff, len);
    }

    record CpuWeight(Matrix matrix) implements Weight {}

    @Override
    public Weight weight(Matrix m) {
        return new CpuWeight(m);
    }

    @Override
    public Buf vector(Matrix m) {
        int n = m.rows() * m.cols();
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = m.get(i / m.cols(), i % m.cols());
        return new CpuBuf(v, 0, n);
    }

    @Override
    public void matmul(Weight w, Buf x, int n, Buf out) {
        matmul(w.matrix(), x, n, out);
    }

    private void matmul(Matrix m, Buf x, int n, Buf out) {
        CpuBuf xb = b(x), ob = b(out);
        int rows = m.rows(), cols = m.cols();
        // The kernels index from 0: copy views that start elsewhere (activations are small).
        float[] xa = xb.off() == 0 ? xb.a() : java.util.Arrays.copyOfRange(xb.a(), xb.off(), xb.off() + n * cols);
        float[] oa = ob.off() == 0 ? ob.a() : new float[n * rows];
        Parallel.forRange(rows, MIN_ROWS_PER_THREAD, (r0, r1) -> kernels.matmul(m, xa, n, oa, r0, r1));
        if (oa != ob.a()) System.arraycopy(oa, 0, ob.a(), ob.off(), n * rows);
    }

    @Override
    public void embed(Weight table, int[] ids, Buf out) {
        Matrix m = table.matrix();
        CpuBuf o = b(out);
        int dim = m.cols();
        for (int t = 0; t < ids.length; t++) {
            if (ids[t] < 0 || ids[t] >= m.rows()) {
                throw new IllegalArgumentException("token id " + ids[t] + " outside the vocabulary [0, " + m.rows() + ")");
            }
            for (int c = 0; c < dim; c++) o.a()[o.off() + t * dim + c] = m.get(ids[t], c);
        }
    }

    @Override
    public void addBias(Buf x, Buf bias, int n, int dim) {
        CpuBuf xb = b(x), bb = b(bias);
        for (int t = 0; t < n; t++) kernels.add(xb.a(), xb.off() + t * dim, bb.a(), bb.off(), dim);
    }

    @Override
    public void rmsnorm(Buf x, Buf weight, Buf out, int n, int dim, float eps) {
        CpuBuf xb = b(x), wb = b(weight), ob = b(out);
        float[] xa = xb.a(), wa = wb.a(), oa = ob.a();
        for (int t = 0; t < n; t++) kernels.rmsnorm(xa, xb.off() + t * dim, wa, wb.off(), oa, ob.off() + t * dim, dim, eps);
    }

    @Override
    public void rope(Buf x, int n, int heads, int headDim, int pos0, float theta) {
        CpuBuf xb = b(x);
        float[] a = xb.a();
        int half = headDim / 2;
        float[] cos = new float[half], sin = new float[half], invFreq = new float[half];
        for (int i = 0; i < half; i++) invFreq[i] = (float) Math.pow(theta, -2.0 * i / headDim); // f32, as the reference
        for (int t = 0; t < n; t++) {
            int pos = pos0 + t;
            for (int i = 0; i < half; i++) {
                double ang = pos * invFreq[i];
                cos[i] = (float) Math.cos(ang);
                sin[i] = (float) Math.sin(ang);
            }
            kernels.rope(a, xb.off() + t * heads * headDim, heads, headDim, cos, sin);
        }
    }

    @Override
    public void clamp(Buf x, int len, float lo, float hi) {
        CpuBuf xb = b(x);
        kernels.clamp(xb.a(), xb.off(), len, lo, hi);
    }

    /** Keys and values per layer: float[(capacity, kvHeads, headDim)]. */
    static final class CpuKvCache implements KvCache {
        final float[][] k, v;
        final int capacity, kvHeads, headDim;

        CpuKvCache(int layers, int capacity, int kvHeads, int headDim) {
            this.capacity = capacity;
            this.kvHeads = kvHeads;
            this.headDim = headDim;
            k = new float[layers][];
            v = new float[layers][];
        }

        /** Grows a layer's arrays on demand so short sequences don't pay for the full capacity. */
        void ensure(int layer, int positions) {
            int need = positions * kvHeads * headDim;
            if (k[layer] == null || k[layer].length < need) {
                int cap = Math.min(capacity, Math.max(positions, k[layer] == null ? 64 : 2 * k[layer].length / (kvHeads * headDim)));
                int len = cap * kvHeads * headDim;
                k[layer] = k[layer] == null ? new float[len] : java.util.Arrays.copyOf(k[layer], len);
                v[layer] = v[layer] == null ? new float[len] : java.util.Arrays.copyOf(v[layer], len);
            }
        }

        @Override
        public int layers() {
            return k.length;
        }

        @Override
        public int capacity() {
            return capacity;
        }

        @Override
        public int kvHeads() {
            return kvHeads;
        }

        @Override
        public int headDim() {
            return headDim;
        }
    }

    @Override
    public KvCache newKvCache(int layers, int capacity, int kvHeads, int headDim) {
        return new CpuKvCache(layers, capacity, kvHeads, headDim);
    }

    @Override
    public void kvStore(KvCache cache, int layer, int pos0, int n, Buf k, Buf v) {
        CpuKvCache c = (CpuKvCache) cache;
        if (pos0 + n > c.capacity) {
            throw new IllegalStateException("KV cache full: positions up to " + (pos0 + n) + " requested, capacity " + c.capacity);
        }
        c.ensure(layer, pos0 + n);
        int row = c.kvHeads * c.headDim;
        CpuBuf kb = b(k), vb = b(v);
        System.arraycopy(kb.a(), kb.off(), c.k[layer], pos0 * row, n * row);
        System.arraycopy(vb.a(), vb.off(), c.v[layer], pos0 * row, n * row);
    }

    @Override
    public void attention(Buf q, KvCache cache, int layer, int pos0, int n, int heads, Buf out) {
        CpuKvCache c = (CpuKvCache) cache;
        int hd = c.headDim, kvh = c.kvHeads, group = heads / kvh;
        float scale = (float) (1.0 / Math.sqrt(hd));
        CpuBuf qb = b(q), ob = b(out);
        float[] K = c.k[layer], V = c.v[layer];
        Parallel.forRange(n * heads, 4, (from, to) -> {
            float[] scores = new float[pos0 + n];
            for (int th = from; th < to; th++) {
                int t = th / heads, h = th % heads, kh = h / group;
                int qo = qb.off() + (t * heads + h) * hd;
                int last = pos0 + t; // causal: attend to positions 0..last
                float max = Float.NEGATIVE_INFINITY;
                for (int p = 0; p <= last; p++) {
                    float s = kernels.dot(qb.a(), qo, K, (p * kvh + kh) * hd, hd) * scale;
                    scores[p] = s;
                    if (s > max) max = s;
                }
                float sum = 0;
                for (int p = 0; p <= last; p++) {
                    scores[p] = (float) Math.exp(scores[p] - max);
                    sum += scores[p];
                }
                int oo = ob.off() + (t * heads + h) * hd;
                java.util.Arrays.fill(ob.a(), oo, oo + hd, 0f);
                for (int p = 0; p <= last; p++) kernels.axpy(ob.a(), oo, V, (p * kvh + kh) * hd, scores[p] / sum, hd);
            }
        });
    }

    @Override
    public void siluMul(Buf gate, Buf up, Buf out, int len) {
        CpuBuf g = b(gate), u = b(up), o = b(out);
        kernels.siluMul(g.a(), g.off(), u.a(), u.off(), o.a(), o.off(), len);
    }

    @Override
    public void axpy(Buf y, Buf x, float alpha, int len) {
        CpuBuf yb = b(y), xb = b(x);
        kernels.axpy(yb.a(), yb.off(), xb.a(), xb.off(), alpha, len);
    }

    @Override
    public void copy(Buf src, Buf dst, int len) {
        System.arraycopy(b(src).a(), b(src).off(), b(dst).a(), b(dst).off(), len);
    }

    @Override
    public void gatherRows(Buf src, int[] rows, int dim, Buf dst) {
        CpuBuf s = b(src), d = b(dst);
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(s.a(), s.off() + rows[i] * dim, d.a(), d.off() + i * dim, dim);
        }
    }

    @Override
    public void scatterAddRows(Buf src, int[] rows, float[] weights, int dim, Buf dst) {
        CpuBuf s = b(src), d = b(dst);
        for (int i = 0; i < rows.length; i++) {
            int so = s.off() + i * dim, dO = d.off() + rows[i] * dim;
            kernels.axpy(d.a(), dO, s.a(), so, weights[i], dim);
        }
    }

    @Override
    public boolean supports(ExpertLayout layout) {
        return switch (layout) {
            case ExpertLayout.Dense d -> true;
            case ExpertLayout.GroupQuant q -> true;
            case ExpertLayout.Ggml g -> true;
            case ExpertLayout.Fp8 f -> true;
            case ExpertLayout.Floe f -> true;
        };
    }

    /** Computes from the expert's host bytes (the CPU's fast tier serves them in place). */
    @Override
    public void expertFfn(ExpertHandle expert, Buf x, int n, Buf out) {
        switch (expert.layout()) {
            case ExpertLayout.Dense d -> denseFfn(expert.weights(), x, n, out);
            case ExpertLayout.GroupQuant q -> HostQuantFfn.forward(this, expert.encoded(), x, n, out);
            case ExpertLayout.Ggml g -> HostQuantFfn.forward(this, expert.encoded(), x, n, out);
            case ExpertLayout.Fp8 f -> HostQuantFfn.forward(this, expert.encoded(), x, n, out);
            case ExpertLayout.Floe f -> FloeFfn.forward(this, expert.encoded(), expert.rows(), QUANT, x, n, out);
        }
    }

    @Override
    public void denseFfn(ExpertWeights w, Buf x, int n, Buf out) {
        int inter = w.gate().rows();
        Buf g = alloc(n * inter), u = alloc(n * inter);
        matmul(w.gate(), x, n, g);
        matmul(w.up(), x, n, u);
        siluMul(g, u, g, n * inter);
        matmul(w.down(), g, n, out);
    }

    @Override
    public void close() {}
}
