// The CPU backend: Vector API kernels (scalar twins selectable), row-parallel on platform threads.
package io.strata.engine.backend.cpu;

import io.strata.compression.DType;
import io.strata.compression.Matrix;
import io.strata.compression.kernel.DenseKernels;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.kernel.Parallel;
import io.strata.engine.backend.Backend;
import io.strata.engine.backend.Buf;
import io.strata.engine.backend.ClampedGlu;
import io.strata.engine.backend.KvCache;
import io.strata.engine.backend.LatentCache;
import io.strata.engine.backend.RopeFreqs;
import io.strata.engine.backend.Op;
import io.strata.engine.backend.Weight;
import io.strata.tiering.ExpertHandle;
import io.strata.tiering.ExpertLayout;
import io.strata.compression.kernel.QuantKernels;
import io.strata.engine.backend.FloeFfn;
import io.strata.engine.backend.HostQuantFfn;
import io.strata.engine.backend.HostMxfp4Ffn;
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

    /**
     * Every worker thread: each call allocates its own arrays, and a kernel's result does not depend on the thread that
     * runs it, so experts computed side by side give the bits they give one after another.
     */
    @Override
    public int concurrentExperts() {
        return Parallel.threads();
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

    /** A group-quantized dense weight: products run the fused dequantize kernels on its codes. */
    record CpuQuantWeight(io.strata.compression.quant.QuantizedMatrix quantized) implements Weight {
        @Override
        public Matrix matrix() {
            return null;
        }
    }

    @Override
    public Weight weight(Matrix m) {
        return new CpuWeight(m);
    }

    @Override
    public Weight weight(io.strata.compression.quant.QuantizedMatrix q) {
        return new CpuQuantWeight(q);
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
        if (w instanceof CpuQuantWeight qw) {
            matmul(qw.quantized(), x, n, out);
        } else {
            matmul(w.matrix(), x, n, out);
        }
    }

    private void matmul(io.strata.compression.quant.QuantizedMatrix q, Buf x, int n, Buf out) {
        rowParallel(x, n, out, q.rows(), q.cols(), (xa, oa, r0, r1) -> QUANT.matmul(q, xa, n, oa, r0, r1));
    }

    private void matmul(Matrix m, Buf x, int n, Buf out) {
        rowParallel(x, n, out, m.rows(), m.cols(), (xa, oa, r0, r1) -> kernels.matmul(m, xa, n, oa, r0, r1));
    }

    /** A row-range product kernel over activations {@code x} (n, cols) into {@code out} (n, rows), both from index 0. */
    private interface RowProduct {
        void run(float[] x, float[] out, int r0, int r1);
    }

    /** out (n, rows) = product of x (n, cols), rows split across threads. */
    private static void rowParallel(Buf x, int n, Buf out, int rows, int cols, RowProduct p) {
        CpuBuf xb = b(x), ob = b(out);
        // The kernels index from 0: copy views that start elsewhere (activations are small).
        float[] xa = xb.off() == 0 ? xb.a() : java.util.Arrays.copyOfRange(xb.a(), xb.off(), xb.off() + n * cols);
        float[] oa = ob.off() == 0 ? ob.a() : new float[n * rows];
        Parallel.forRange(rows, MIN_ROWS_PER_THREAD, (r0, r1) -> p.run(xa, oa, r0, r1));
        if (oa != ob.a()) System.arraycopy(oa, 0, ob.a(), ob.off(), n * rows);
    }

    @Override
    public void embed(Weight table, int[] ids, Buf out) {
        Matrix m = table.matrix();
        CpuBuf o = b(out);
        int dim = table.cols();
        for (int t = 0; t < ids.length; t++) {
            if (ids[t] < 0 || ids[t] >= table.rows()) {
                throw new IllegalArgumentException("token id " + ids[t] + " outside the vocabulary [0, " + table.rows() + ")");
            }
            if (m == null) {
                table.quantized().decodeRow(ids[t], o.a(), o.off() + t * dim);
            } else {
                for (int c = 0; c < dim; c++) o.a()[o.off() + t * dim + c] = m.get(ids[t], c);
            }
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
    public void rope(Buf x, int n, int heads, int headDim, int pos0, float[] invFreq, float scale) {
        CpuBuf xb = b(x);
        int half = headDim / 2;
        if (invFreq.length != half) {
            throw new IllegalArgumentException("rope: expected " + half + " frequencies for head_dim " + headDim + ", found " + invFreq.length);
        }
        float[] cos = new float[half], sin = new float[half];
        for (int t = 0; t < n; t++) {
            float pos = pos0 + t;
            for (int i = 0; i < half; i++) {
                float ang = pos * invFreq[i]; // f32 product, as the reference's freqs = inv_freq · position
                cos[i] = (float) Math.cos(ang) * scale;
                sin[i] = (float) Math.sin(ang) * scale;
            }
            kernels.rope(xb.a(), xb.off() + t * heads * headDim, heads, headDim, cos, sin);
        }
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
    public void rope(Buf x, int n, int heads, int headDim, int pos0, RopeFreqs f) {
        CpuBuf xb = b(x);
        float[] a = xb.a(), invFreq = f.invFreq();
        int half = invFreq.length, rot = f.rotaryDim();
        if (rot > headDim) throw new IllegalArgumentException("rotary dimensions " + rot + " exceed the head dimension " + headDim);
        float[] cos = new float[half], sin = new float[half];
        for (int t = 0; t < n; t++) {
            int pos = pos0 + t;
            for (int i = 0; i < half; i++) {
                float ang = pos * invFreq[i]; // f32 product, as the reference's freqs = inv_freq @ position_ids
                cos[i] = (float) Math.cos(ang) * f.attentionFactor();
                sin[i] = (float) Math.sin(ang) * f.attentionFactor();
            }
            int base = xb.off() + t * heads * headDim;
            if (rot == headDim) {
                kernels.rope(a, base, heads, headDim, cos, sin);
            } else { // partial rotary: each head's first rot dimensions
                for (int h = 0; h < heads; h++) kernels.rope(a, base + h * headDim, 1, rot, cos, sin);
            }
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

        @Override
        public long bytes() {
            long b = 0;
            for (int l = 0; l < k.length; l++) if (k[l] != null) b += 4L * (k[l].length + v[l].length);
            return b;
        }
    }

    /** Latent rows per layer: float[(capacity, latentDim + ropeDim)], c then k_pe. */
    static final class CpuLatentCache implements LatentCache {
        final float[][] rows;
        final int capacity, latentDim, ropeDim;

        CpuLatentCache(int layers, int capacity, int latentDim, int ropeDim) {
            this.rows = new float[layers][];
            this.capacity = capacity;
            this.latentDim = latentDim;
            this.ropeDim = ropeDim;
        }

        /** Grows a layer's rows on demand (doubling, capped at capacity). */
        void ensure(int layer, int positions) {
            int row = latentDim + ropeDim;
            if (rows[layer] == null || rows[layer].length < positions * row) {
                int cap = Math.min(capacity, Math.max(positions, rows[layer] == null ? 64 : 2 * rows[layer].length / row));
                rows[layer] = rows[layer] == null ? new float[cap * row] : java.util.Arrays.copyOf(rows[layer], cap * row);
            }
        }

        @Override
        public int layers() {
            return rows.length;
        }

        @Override
        public int capacity() {
            return capacity;
        }

        @Override
        public int latentDim() {
            return latentDim;
        }

        @Override
        public int ropeDim() {
            return ropeDim;
        }

        @Override
        public long bytes() {
            long b = 0;
            for (float[] r : rows) if (r != null) b += 4L * r.length;
            return b;
        }
    }

    @Override
    public LatentCache newLatentCache(int layers, int capacity, int latentDim, int ropeDim) {
        return new CpuLatentCache(layers, capacity, latentDim, ropeDim);
    }

    private static CpuLatentCache latent(KvCache c) {
        if (c instanceof CpuLatentCache l) return l;
        throw new IllegalArgumentException("CPU backend given a latent cache of another backend: " + c.getClass().getName());
    }

    @Override
    public void latentStore(LatentCache cache, int layer, int pos0, int n, Buf latent, Buf kPe) {
        CpuLatentCache c = latent(cache);
        if (pos0 + n > c.capacity) {
            throw new IllegalStateException("KV cache full: positions up to " + (pos0 + n) + " requested, capacity " + c.capacity);
        }
        c.ensure(layer, pos0 + n);
        int row = c.latentDim + c.ropeDim;
        CpuBuf lb = b(latent), pb = b(kPe);
        float[] dst = c.rows[layer];
        for (int t = 0; t < n; t++) {
            System.arraycopy(lb.a(), lb.off() + t * c.latentDim, dst, (pos0 + t) * row, c.latentDim);
            System.arraycopy(pb.a(), pb.off() + t * c.ropeDim, dst, (pos0 + t) * row + c.latentDim, c.ropeDim);
        }
    }

    @Override
    public void latentAttention(Buf qLat, Buf qPe, LatentCache cache, int layer, int pos0, int n, int heads, float scale, Buf outLat) {
        CpuLatentCache c = latent(cache);
        int r = c.latentDim, rp = c.ropeDim, row = r + rp;
        CpuBuf qb = b(qLat), pb = b(qPe), ob = b(outLat);
        float[] C = c.rows[layer];
        if (C == null) throw new IllegalStateException("latent attention on layer " + layer + " before any latentStore");
        Parallel.forRange(n * heads, 4, (from, to) -> {
            float[] scores = new float[pos0 + n];
            for (int th = from; th < to; th++) {
                int t = th / heads, last = pos0 + t; // causal: positions 0..last
                int qo = qb.off() + th * r, po = pb.off() + th * rp;
                float max = Float.NEGATIVE_INFINITY;
                for (int p = 0; p <= last; p++) {
                    float s = (kernels.dot(qb.a(), qo, C, p * row, r) + kernels.dot(pb.a(), po, C, p * row + r, rp)) * scale;
                    scores[p] = s;
                    if (s > max) max = s;
                }
                float sum = 0;
                for (int p = 0; p <= last; p++) {
                    scores[p] = (float) Math.exp(scores[p] - max);
                    sum += scores[p];
                }
                int oo = ob.off() + th * r;
                java.util.Arrays.fill(ob.a(), oo, oo + r, 0f);
                for (int p = 0; p <= last; p++) kernels.axpy(ob.a(), oo, C, p * row, scores[p] / sum, r);
            }
        });
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
        attention(q, cache, layer, pos0, n, heads, out, 0, null);
    }

    @Override
    public void attention(Buf q, KvCache cache, int layer, int pos0, int n, int heads, Buf out, int window, Buf sinks) {
        CpuKvCache c = (CpuKvCache) cache;
        float[] sink = null;
        if (sinks != null) {
            sink = new float[heads];
            read(sinks, sink, 0, heads);
        }
        final float[] sinkLogits = sink;
        int hd = c.headDim, kvh = c.kvHeads, group = heads / kvh;
        float scale = (float) (1.0 / Math.sqrt(hd));
        CpuBuf qb = b(q), ob = b(out);
        float[] K = c.k[layer], V = c.v[layer];
        Parallel.forRange(n * heads, 4, (from, to) -> {
            float[] scores = new float[pos0 + n];
            for (int th = from; th < to; th++) {
                int t = th / heads, h = th % heads, kh = h / group;
                int qo = qb.off() + (t * heads + h) * hd;
                int last = pos0 + t; // causal: attend to positions first..last
                int first = window > 0 ? Math.max(0, last - window + 1) : 0;
                float max = sinkLogits != null ? sinkLogits[h] : Float.NEGATIVE_INFINITY;
                for (int p = first; p <= last; p++) {
                    float s = kernels.dot(qb.a(), qo, K, (p * kvh + kh) * hd, hd) * scale;
                    scores[p] = s;
                    if (s > max) max = s;
                }
                float sum = sinkLogits != null ? (float) Math.exp(sinkLogits[h] - max) : 0f; // the sink: a logit without a value
                for (int p = first; p <= last; p++) {
                    scores[p] = (float) Math.exp(scores[p] - max);
                    sum += scores[p];
                }
                int oo = ob.off() + (t * heads + h) * hd;
                java.util.Arrays.fill(ob.a(), oo, oo + hd, 0f);
                for (int p = first; p <= last; p++) kernels.axpy(ob.a(), oo, V, (p * kvh + kh) * hd, scores[p] / sum, hd);
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
            case ExpertLayout.Mxfp4 m -> true;
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
            case ExpertLayout.Mxfp4 m -> HostMxfp4Ffn.forward(this, expert.encoded(), x, n, out, null);
        }
    }

    @Override
    public void expertFfn(ExpertHandle expert, Buf x, int n, Buf out, ClampedGlu glu) {
        if (glu == null) {
            expertFfn(expert, x, n, out);
            return;
        }
        switch (expert.layout()) {
            case ExpertLayout.Dense d -> {
                ExpertWeights w = expert.weights();
                int inter = w.gate().rows(), h = w.down().rows();
                Buf g = alloc(n * inter), u = alloc(n * inter);
                matmul(w.gate(), x, n, g);
                matmul(w.up(), x, n, u);
                addBias(g, glu.gateBias(), n, inter);
                addBias(u, glu.upBias(), n, inter);
                clampedGlu(g, u, n * inter, glu.alpha(), glu.limit());
                matmul(w.down(), g, n, out);
                addBias(out, glu.downBias(), n, h);
            }
            case ExpertLayout.GroupQuant q -> HostQuantFfn.forward(this, expert.encoded(), x, n, out, glu);
            case ExpertLayout.Ggml g -> HostQuantFfn.forward(this, expert.encoded(), x, n, out, glu);
            case ExpertLayout.Fp8 f -> HostQuantFfn.forward(this, expert.encoded(), x, n, out, glu);
            case ExpertLayout.Mxfp4 m -> HostMxfp4Ffn.forward(this, expert.encoded(), x, n, out, glu);
            case ExpertLayout.Floe f -> throw new UnsupportedOperationException(
                    "FloE experts (" + f.name() + ") assume the plain SwiGLU; a gpt-oss expert (biases, clamped SwiGLU) cannot be stored as FloE");
        }
    }

    /** g (len) ← ClampedGlu.apply(g, u): the gpt-oss activation in place over gate. */
    private static void clampedGlu(Buf gate, Buf up, int len, float alpha, float limit) {
        CpuBuf g = b(gate), u = b(up);
        for (int i = 0; i < len; i++) {
            g.a()[g.off() + i] = ClampedGlu.apply(g.a()[g.off() + i], u.a()[u.off() + i], alpha, limit);
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
