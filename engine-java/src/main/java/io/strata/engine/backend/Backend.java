// The seam between model code and the hardware: every op the forward pass needs.
package io.strata.engine.backend;

import io.strata.compression.DType;
import io.strata.compression.Matrix;
import io.strata.tiering.ExpertHandle;
import io.strata.tiering.ExpertLayout;
import io.strata.tiering.ExpertWeights;

/**
 * Every operation of a decoder forward pass, on buffers the backend owns. Model code
 * calls only these (never jdk.incubator.vector or jcuda). Shapes are row-major; "n" is the
 * number of tokens processed together (1 in decode, the chunk size in prefill).
 * Calls on one backend are issued from one thread; a backend may run them asynchronously
 * but {@link #read} returns only once the data is there.
 */
public interface Backend extends AutoCloseable {
    /** "cpu", "cuda:0 NVIDIA H100 ...". */
    String name();

    /** Whether this backend implements op for weights of the given dtype. */
    boolean supports(Op op, DType weightDtype);

    /**
     * Whether {@link #expertFfn} computes experts stored in {@code layout}. Checked when a model loads, so an
     * unsupported layout fails then, naming layout and backend, not at the first token.
     */
    boolean supports(ExpertLayout layout);

    /** A zeroed buffer of length f32 elements. */
    Buf alloc(int length);

    /**
     * Returns a buffer from {@link #alloc} (not a slice) once no queued work uses it. Optional for memory the garbage
     * collector owns (the CPU backend); a device backend frees the allocation.
     */
    default void free(Buf b) {}

    /**
     * The backend that computes experts from host memory beside this one: itself on the CPU; on a GPU, the CPU
     * kernels, which a step plan runs on missed experts while the device computes the others.
     */
    default Backend host() {
        return this;
    }

    /**
     * How many of a step's experts this backend can compute at once, each on its own thread, with buffers from
     * {@link #alloc}, {@link #gatherRows} and {@link #expertFfn} called concurrently on disjoint buffers: 1 (the
     * default) for a backend whose calls must come from one thread; the CPU backend's worker count, where one expert
     * per thread beats splitting every product of every expert over the threads.
     */
    default int concurrentExperts() {
        return 1;
    }

    /** b[0, len) ← 0 (on the device where the buffer lives: no host copy). */
    default void zero(Buf b, int len) {
        write(b, new float[len], 0, len);
    }

    /** dst[0, len) ← src[srcOff, srcOff + len). */
    void write(Buf dst, float[] src, int srcOff, int len);

    /** dst[dstOff, dstOff + len) ← src[0, len); returns when the data is in dst. */
    void read(Buf src, float[] dst, int dstOff, int len);

    /** Makes a dense (non-expert) weight usable by this backend, once, at load time. */
    Weight weight(Matrix m);

    /**
     * Makes a group-quantized dense weight (a store packed with {@code --dense}) usable by this backend, once, at load
     * time. The CPU computes from the codes; a backend without quantized dense kernels expands it.
     */
    Weight weight(io.strata.compression.quant.QuantizedMatrix q);

    /** A buffer holding a 1-D weight (norm scale, bias) converted to f32. */
    Buf vector(Matrix m);

    /** out (n, rows) = x (n, cols) · Wᵀ. */
    void matmul(Weight w, Buf x, int n, Buf out);

    /** out (n, cols) = table rows ids[t] (embedding lookup), table (vocab, hidden). */
    void embed(Weight table, int[] ids, Buf out);

    /** x (n, dim) += bias (dim) on every row. */
    void addBias(Buf x, Buf bias, int n, int dim);

    /** out (n, dim) = x / sqrt(mean(x²) + eps) ⊙ weight, per row; out may be x. */
    void rmsnorm(Buf x, Buf weight, Buf out, int n, int dim, float eps);

    /**
     * Rotary embedding in place on x (n, heads, headDim), token t at position pos0 + t,
     * rotate-half pairing (i, i + headDim/2), inverse frequency theta^(-2i/headDim).
     */
    void rope(Buf x, int n, int heads, int headDim, int pos0, float theta);

    /**
     * Rotary embedding in place on x (n, heads, headDim) with explicit frequencies (YaRN, partial rotary): token t at
     * position pos0 + t; the first {@code f.rotaryDim()} dimensions of each head rotate (rotate-half pairing within
     * them), cos/sin scaled by {@code f.attentionFactor()}; the rest pass through.
     */
    void rope(Buf x, int n, int heads, int headDim, int pos0, RopeFreqs f);

    /**
     * Rotary embedding in place as {@link #rope(Buf, int, int, int, int, float)}, with the frequencies given:
     * invFreq (headDim/2), and cos and sin both multiplied by {@code scale} (YaRN's attention factor). Callers pass
     * the same array on every call of a model, so a device backend may keep its copy keyed by identity.
     */
    default void rope(Buf x, int n, int heads, int headDim, int pos0, float[] invFreq, float scale) {
        throw new UnsupportedOperationException("backend " + name() + " has no rotary embedding with a frequency table (YaRN)");
    }

    /** x[i] = clamp(x[i], lo, hi) over len elements. */
    void clamp(Buf x, int len, float lo, float hi);

    /** A key/value cache for one sequence. */
    KvCache newKvCache(int layers, int capacity, int kvHeads, int headDim);

    /** Returns a KV cache's memory (a device backend frees it; the CPU's is the garbage collector's). */
    default void free(KvCache cache) {}

    /** Stores k, v (n, kvHeads, headDim) at positions pos0 .. pos0+n-1 of layer. */
    void kvStore(KvCache cache, int layer, int pos0, int n, Buf k, Buf v);

    /**
     * Causal grouped-query attention: q (n, heads, headDim) at positions pos0.., over cache
     * positions 0 .. pos0+t (inclusive) of layer; out (n, heads, headDim). Scale 1/sqrt(headDim).
     */
    void attention(Buf q, KvCache cache, int layer, int pos0, int n, int heads, Buf out);

    /** A multi-head latent attention cache for one sequence: (capacity, latentDim + ropeDim) per layer. */
    LatentCache newLatentCache(int layers, int capacity, int latentDim, int ropeDim);

    /** Stores latent (n, latentDim) and kPe (n, ropeDim) at positions pos0 .. pos0+n-1 of layer. */
    void latentStore(LatentCache cache, int layer, int pos0, int n, Buf latent, Buf kPe);

    /**
     * Causal multi-head latent attention with absorbed up-projections: for head h of token t (position pos0 + t),
     * score(p) = scale · (qLat[t,h] · c[p] + qPe[t,h] · kPe[p]) over cache positions p in 0 .. pos0+t, and
     * outLat[t,h] = Σ_p softmax(score)[p] · c[p]. qLat (n, heads, latentDim), qPe (n, heads, ropeDim),
     * outLat (n, heads, latentDim).
     */
    void latentAttention(Buf qLat, Buf qPe, LatentCache cache, int layer, int pos0, int n, int heads, float scale, Buf outLat);

    /**
     * {@link #attention(Buf, KvCache, int, int, int, int, Buf)} with gpt-oss's two changes: with {@code window > 0}
     * the query at position p attends only to positions {@code max(0, p − window + 1) .. p}; with {@code sinks}
     * (heads) non-null, head h's softmax denominator gets one more term {@code exp(sinks[h])} (a learned logit with
     * no value: attention may go nowhere). window 0 and sinks null is the plain attention.
     */
    default void attention(Buf q, KvCache cache, int layer, int pos0, int n, int heads, Buf out, int window, Buf sinks) {
        if (window == 0 && sinks == null) {
            attention(q, cache, layer, pos0, n, heads, out);
            return;
        }
        throw new UnsupportedOperationException("backend " + name() + " has no sliding-window attention with sinks (gpt-oss)");
    }

    /** out (len) = SiLU(gate) ⊙ up. */
    void siluMul(Buf gate, Buf up, Buf out, int len);

    /** y (len) += alpha · x. */
    void axpy(Buf y, Buf x, float alpha, int len);

    /** dst[0, len) = src[0, len). */
    void copy(Buf src, Buf dst, int len);

    /** dst (rows.length, dim) = src rows rows[i] of (·, dim). */
    void gatherRows(Buf src, int[] rows, int dim, Buf dst);

    /** dst row rows[i] (dim) += weights[i] · src row i, for i in [0, rows.length). */
    void scatterAddRows(Buf src, int[] rows, float[] weights, int dim, Buf dst);

    /**
     * A routed expert on n tokens: out (n, hidden) = down · (SiLU(gate·x) ⊙ (up·x)), computed by the kernel of the
     * handle's {@link ExpertLayout} from where the store put its bytes: the fast tier's copy when the handle has one
     * ({@link ExpertHandle#fast()}, e.g. VRAM), else host memory. The backend keeps no expert cache of its own.
     */
    void expertFfn(ExpertHandle expert, Buf x, int n, Buf out);

    /**
     * {@link #expertFfn(ExpertHandle, Buf, int, Buf)} with gpt-oss's biases and clamped SwiGLU ({@link ClampedGlu});
     * glu null is the plain expert.
     */
    default void expertFfn(ExpertHandle expert, Buf x, int n, Buf out, ClampedGlu glu) {
        if (glu == null) {
            expertFfn(expert, x, n, out);
            return;
        }
        throw new UnsupportedOperationException("backend " + name() + " has no biased, clamped SwiGLU expert (gpt-oss)");
    }

    /**
     * A dense SwiGLU FFN (a shared expert, or the FFN of a dense layer) on n tokens: out (n, hidden) =
     * down · (SiLU(gate·x) ⊙ (up·x)). These weights are part of the dense model: a backend may keep them resident,
     * keyed by the identity of w.
     */
    void denseFfn(ExpertWeights w, Buf x, int n, Buf out);

    @Override
    void close();
}
