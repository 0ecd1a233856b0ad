// Multi-head latent attention (DeepSeek-V2/V3) over a KV cache that holds only the compressed latent and the rotary key.
package io.strata.engine.model;

import io.strata.compression.Matrix;
import io.strata.engine.backend.Backend;
import io.strata.engine.backend.Buf;
import io.strata.engine.backend.LatentCache;
import io.strata.engine.backend.Weight;
import io.strata.engine.checkpoint.CheckpointException;
import io.strata.engine.checkpoint.WeightSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * MLA with the up-projections absorbed, as the DeepSeek-V2 paper describes for inference. Per token:
 * <pre>
 *   q      = q_proj(x)  or  q_b_proj(RMSNorm(q_a_proj(x)))           (heads, nope + rope)
 *   c      = RMSNorm(kv_a_proj(x)[:rank]),  k_pe = RoPE(kv_a_proj(x)[rank:])   stored: (rank + rope) per position
 *   qLat_h = W_UK_hᵀ · q_nope_h                                      (rank)   [W_UK_h: (nope, rank) rows of kv_b_proj]
 *   score  = scale · (qLat_h · c_p + RoPE(q_pe_h) · k_pe_p)
 *   o_h    = W_UV_h · Σ_p softmax(score)_p c_p                       (v)      [W_UV_h: (v, rank) rows of kv_b_proj]
 *   out    = o_proj(o)
 * </pre>
 * which equals attention over the expanded keys k_h = [W_UK_h c; k_pe] and values W_UV_h c, without storing them:
 * the cache holds kv_lora_rank + qk_rope_head_dim floats per position and layer, not 2·heads·head_dim.
 * The split and transposed projections are made once at load time (same dtype as the checkpoint). DeepSeek lays
 * the rotary dimensions out in interleaved pairs; their rows are permuted to rotate-half order at load, which
 * leaves q_pe·k_pe unchanged (both sides are permuted alike), so the backend's rotate-half RoPE applies.
 */
public final class MlaAttention {
    /** RMSNorm epsilon of q_a_layernorm and kv_a_layernorm: the reference builds them with the default 1e-6. */
    static final float LATENT_NORM_EPS = 1e-6f;

    /** The weights of one layer. */
    public static final class LayerWeights {
        Weight qA;           // (qLoraRank, hidden) or null without q LoRA
        Buf qANorm;          // (qLoraRank) or null
        Weight qNope;        // (heads·nope, hidden or qLoraRank)
        Weight qPe;          // (heads·rope, hidden or qLoraRank), rows in rotate-half order
        Weight kvA;          // (rank, hidden)
        Weight kPe;          // (rope, hidden), rows in rotate-half order
        Buf kvANorm;         // (rank)
        Weight[] ukT;        // per head (rank, nope): W_UK_hᵀ
        Weight[] uv;         // per head (v, rank): W_UV_h

        /** Bytes of every projection a token reads (the per-head matrices included). */
        public long byteSize() {
            long b = 0;
            for (Weight w : new Weight[] {qA, qNope, qPe, kvA, kPe}) if (w != null) b += w.byteSize();
            for (Weight[] hs : new Weight[][] {ukT, uv}) if (hs != null) for (Weight w : hs) b += w.byteSize();
            return b;
        }
    }

    private final ModelConfig c;
    private final ModelConfig.Mla m;
    private final Backend be;
    private final float scale;
    private int cap;                                        // tokens the scratch buffers hold
    private Buf qa, qNope, qPe, lat, kpe, qLat, oLat, att;  // per token: qLoraRank, H·nope, H·rope, rank, rope, H·rank, H·rank, H·v
    private Buf hIn, hOut;                                  // (n, max(nope, rank)), (n, max(rank, v)): one head's gathered rows

    MlaAttention(ModelConfig c, Backend be) {
        this.c = c;
        this.m = c.mla();
        this.be = be;
        this.scale = (float) (1.0 / Math.sqrt(m.qkHeadDim())) * c.rotary().softmaxMscale();
    }

    /** Reads, splits and uploads the MLA weights of layer l. */
    static LayerWeights load(ModelConfig c, WeightSource src, Backend be, int l) {
        ModelConfig.Mla m = c.mla();
        int H = c.numHeads(), h = c.hidden(), nope = m.qkNopeHeadDim(), rope = m.qkRopeHeadDim(), r = m.kvLoraRank(), v = m.vHeadDim();
        boolean interleaved = m.ropeInterleaved();
        LayerWeights w = new LayerWeights();
        Matrix q;
        if (m.qLoraRank() > 0) {
            w.qA = be.weight(src.matrix(TensorNames.attn(l, "q_a_proj.weight"), m.qLoraRank(), h));
            w.qANorm = be.vector(src.vector(TensorNames.attn(l, "q_a_layernorm.weight"), m.qLoraRank()));
            q = src.matrix(TensorNames.attn(l, "q_b_proj.weight"), H * m.qkHeadDim(), m.qLoraRank());
        } else {
            q = src.matrix(TensorNames.attn(l, "q_proj.weight"), H * m.qkHeadDim(), h);
        }
        int[] nopeRows = new int[H * nope], ropeRows = new int[H * rope];
        for (int hd = 0; hd < H; hd++) {
            for (int i = 0; i < nope; i++) nopeRows[hd * nope + i] = hd * m.qkHeadDim() + i;
            for (int i = 0; i < rope; i++) ropeRows[hd * rope + i] = hd * m.qkHeadDim() + nope + ropeOrder(i, rope, interleaved);
        }
        w.qNope = be.weight(gather(q, nopeRows, q.name() + "[nope]"));
        w.qPe = be.weight(gather(q, ropeRows, q.name() + "[rope]"));
        Matrix kva = src.matrix(TensorNames.attn(l, "kv_a_proj_with_mqa.weight"), r + rope, h);
        int[] kvRows = new int[r], kpRows = new int[rope];
        for (int i = 0; i < r; i++) kvRows[i] = i;
        for (int i = 0; i < rope; i++) kpRows[i] = r + ropeOrder(i, rope, interleaved);
        w.kvA = be.weight(gather(kva, kvRows, kva.name() + "[latent]"));
        w.kPe = be.weight(gather(kva, kpRows, kva.name() + "[rope]"));
        w.kvANorm = be.vector(src.vector(TensorNames.attn(l, "kv_a_layernorm.weight"), r));
        Matrix kvb = src.matrix(TensorNames.attn(l, "kv_b_proj.weight"), H * (nope + v), r);
        w.ukT = new Weight[H];
        w.uv = new Weight[H];
        for (int hd = 0; hd < H; hd++) {
            int base = hd * (nope + v);
            w.ukT[hd] = be.weight(transposeRows(kvb, base, nope, kvb.name() + "[head " + hd + " k]ᵀ"));
            w.uv[hd] = be.weight(kvb.rows(base + nope, base + nope + v));
        }
        return w;
    }

    /** Source row (within the rope block) of rotate-half dimension i: interleaved pairs (2j, 2j+1) → (j, j + rope/2). */
    private static int ropeOrder(int i, int rope, boolean interleaved) {
        if (!interleaved) return i;
        int half = rope / 2;
        return i < half ? 2 * i : 2 * (i - half) + 1;
    }

    /** The given rows of m, copied in m's dtype. */
    static Matrix gather(Matrix m, int[] rows, String name) {
        long rb = (long) m.cols() * m.dtype().bytes;
        MemorySegment out = Arena.ofAuto().allocate(rows.length * rb, 64);
        for (int i = 0; i < rows.length; i++) MemorySegment.copy(m.data(), rows[i] * rb, out, i * rb, rb);
        return new Matrix(name, out, m.dtype(), rows.length, m.cols());
    }

    /** Rows [row0, row0 + n) of m transposed: (m.cols, n), in m's dtype (elements copied bit for bit). */
    static Matrix transposeRows(Matrix m, int row0, int n, String name) {
        int es = m.dtype().bytes, cols = m.cols();
        MemorySegment out = Arena.ofAuto().allocate((long) n * cols * es, 64);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < cols; j++) {
                MemorySegment.copy(m.data(), ((long) (row0 + i) * cols + j) * es, out, ((long) j * n + i) * es, es);
            }
        }
        return new Matrix(name, out, m.dtype(), cols, n);
    }

    private void ensure(int n) {
        if (n <= cap) return;
        for (Buf b : new Buf[] {qa, qNope, qPe, lat, kpe, qLat, oLat, att, hIn, hOut}) if (b != null) be.free(b);
        int H = c.numHeads();
        qa = be.alloc(n * Math.max(1, m.qLoraRank()));
        qNope = be.alloc(n * H * m.qkNopeHeadDim());
        qPe = be.alloc(n * H * m.qkRopeHeadDim());
        lat = be.alloc(n * m.kvLoraRank());
        kpe = be.alloc(n * m.qkRopeHeadDim());
        qLat = be.alloc(n * H * m.kvLoraRank());
        oLat = be.alloc(n * H * m.kvLoraRank());
        att = be.alloc(n * H * m.vHeadDim());
        hIn = be.alloc(n * Math.max(m.qkNopeHeadDim(), m.kvLoraRank()));
        hOut = be.alloc(n * Math.max(m.kvLoraRank(), m.vHeadDim()));
        cap = n;
    }

    /** out (n, hidden) = MLA(xn (n, hidden)) for tokens at positions pos0.., storing their latents in cache. */
    void forward(int l, ModelWeights.Layer L, Buf xn, int n, int pos0, LatentCache cache, Buf out) {
        if (cache.latentDim() != m.kvLoraRank() || cache.ropeDim() != m.qkRopeHeadDim()) {
            throw new IllegalArgumentException("latent cache of " + cache.latentDim() + " + " + cache.ropeDim()
                    + " dimensions given to a model with kv_lora_rank " + m.kvLoraRank() + " and qk_rope_head_dim " + m.qkRopeHeadDim());
        }
        ensure(n);
        LayerWeights w = L.mla;
        int H = c.numHeads(), r = m.kvLoraRank(), rope = m.qkRopeHeadDim(), nope = m.qkNopeHeadDim(), v = m.vHeadDim();
        Buf qSrc = xn;
        if (w.qA != null) {
            Buf a = qa.slice(0, n * m.qLoraRank());
            be.matmul(w.qA, xn, n, a);
            be.rmsnorm(a, w.qANorm, a, n, m.qLoraRank(), LATENT_NORM_EPS);
            qSrc = a;
        }
        Buf qn = qNope.slice(0, n * H * nope), qp = qPe.slice(0, n * H * rope);
        be.matmul(w.qNope, qSrc, n, qn);
        be.matmul(w.qPe, qSrc, n, qp);
        Buf cl = lat.slice(0, n * r), kp = kpe.slice(0, n * rope);
        be.matmul(w.kvA, xn, n, cl);
        be.rmsnorm(cl, w.kvANorm, cl, n, r, LATENT_NORM_EPS);
        be.matmul(w.kPe, xn, n, kp);
        be.rope(qp, n, H, rope, pos0, c.rotary().freqs());
        be.rope(kp, n, 1, rope, pos0, c.rotary().freqs());
        be.latentStore(cache, l, pos0, n, cl, kp);
        Buf ql = qLat.slice(0, n * H * r), ol = oLat.slice(0, n * H * r), a = att.slice(0, n * H * v);
        perHead(w.ukT, qn, nope, ql, r, n);
        be.latentAttention(ql, qp, cache, l, pos0, n, H, scale, ol);
        perHead(w.uv, ol, r, a, v, n);
        be.matmul(L.wo, a, n, out);
    }

    /** y (n, H, outDim): y[t, h] = W[h] · x[t, h] for x (n, H, inDim); each head's weight read once for all n tokens. */
    private void perHead(Weight[] W, Buf x, int inDim, Buf y, int outDim, int n) {
        int H = W.length;
        if (n == 1) { // decode: each head's input and output are contiguous slices
            for (int h = 0; h < H; h++) be.matmul(W[h], x.slice(h * inDim, inDim), 1, y.slice(h * outDim, outDim));
            return;
        }
        int[] rows = new int[n];
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        be.zero(y, n * H * outDim);
        Buf in = hIn.slice(0, n * inDim), o = hOut.slice(0, n * outDim);
        for (int h = 0; h < H; h++) {
            for (int t = 0; t < n; t++) rows[t] = t * H + h;
            be.gatherRows(x, rows, inDim, in);
            be.matmul(W[h], in, n, o);
            be.scatterAddRows(o, rows, ones, outDim, y);
        }
    }

    void free() {
        for (Buf b : new Buf[] {qa, qNope, qPe, lat, kpe, qLat, oLat, att, hIn, hOut}) if (b != null) be.free(b);
        cap = 0;
    }
}
