// Typed launchers of every Strata CUDA kernel: one Java method per kernel, shapes in the javadoc.
package io.strata.kernels.cuda;

import static jcuda.driver.JCudaDriver.*;

import io.strata.compression.DType;
import jcuda.Pointer;
import jcuda.driver.CUfunction;

/**
 * Launchers on the {@link CudaContext}'s module. All activations are f32. Buffer sizes are
 * checked against the shapes before launch (errors name the buffer, expected and found bytes).
 * The launch result is always checked; with {@code -Dstrata.cuda.checkLaunches=true} every launch
 * also synchronises its stream so an asynchronous fault is reported at the kernel that caused it.
 * Launchers are thread-safe (each serialises on its reused parameter block).
 */
public final class CudaKernels {
    private static final boolean CHECK_LAUNCHES = Boolean.getBoolean("strata.cuda.checkLaunches");

    private final CudaContext ctx;

    CudaKernels(CudaContext ctx) {
        this.ctx = ctx;
    }

    /**
     * One kernel with a reused parameter block: every argument lives in its own 8-byte slot
     * (ints and floats in the low 4 bytes; little endian), so launching allocates nothing.
     */
    private final class Launcher {
        final String name;
        final CUfunction fn;
        final long[][] slots;
        final Pointer params;

        Launcher(String name, int nParams) {
            this.name = name;
            this.fn = ctx.function(name);
            this.slots = new long[nParams][1];
            Pointer[] ps = new Pointer[nParams];
            for (int i = 0; i < nParams; i++) ps[i] = Pointer.to(slots[i]);
            this.params = Pointer.to(ps);
        }

        Launcher ptr(int i, DeviceBuffer b) { slots[i][0] = b == null ? 0L : b.address(); return this; }
        Launcher i32(int i, int v) { slots[i][0] = v & 0xFFFFFFFFL; return this; }
        Launcher i64(int i, long v) { slots[i][0] = v; return this; }
        Launcher f32(int i, float v) { slots[i][0] = Float.floatToRawIntBits(v) & 0xFFFFFFFFL; return this; }

        void launch(int gx, int gy, int bx, int smem, CudaStream s) {
            ctx.bind();
            Cuda.check(cuLaunchKernel(fn, gx, gy, 1, bx, 1, 1, smem, s.handle, params, null),
                    "cuLaunchKernel(" + name + ", grid " + gx + "x" + gy + ", block " + bx + ")");
            if (CHECK_LAUNCHES) Cuda.check(cuStreamSynchronize(s.handle), "kernel " + name + " (checked launch)");
        }
    }

    private final java.util.Map<String, Launcher> launchers = new java.util.HashMap<>();

    private synchronized Launcher launcher(String name, int nParams) {
        return launchers.computeIfAbsent(name, n -> new Launcher(n, nParams));
    }

    private static void need(DeviceBuffer b, long bytes, String what) {
        if (b == null) throw new IllegalArgumentException(what + ": buffer is null");
        if (b.byteSize() < bytes) {
            throw new IllegalArgumentException(what + " (" + b.label() + "): expected at least " + bytes + " bytes, found " + b.byteSize());
        }
    }

    private static String suffix(DType d) {
        return switch (d) {
            case BF16 -> "bf16";
            case F16 -> "f16";
            case F32 -> "f32";
            default -> throw new IllegalArgumentException("weight dtype must be F32, F16 or BF16, found " + d);
        };
    }

    private static void checkTokens(int n) {
        if (n < 1 || n > LaunchConfig.MAX_TOKENS) {
            throw new IllegalArgumentException("matmul tokens n must be 1.." + LaunchConfig.MAX_TOKENS + ", found " + n);
        }
    }

    /**
     * {@code out[t, r] (+)= Σ_c W[r, c] · x[t, c]}: out (n, rows) = x (n, cols) · Wᵀ.
     *
     * @param x          (n, cols) f32
     * @param out        (n, w.rows) f32
     * @param n          tokens, 1..8 (each weight load is reused by all n)
     * @param accumulate add to out instead of overwriting (fused residual)
     */
    public void matmul(CudaStream s, DeviceMatrix w, DeviceBuffer x, DeviceBuffer out, int n, boolean accumulate) {
        matmulRows(s, w, null, w.rows(), x, out, n, accumulate);
    }

    /**
     * Gathered rows: {@code out[t, j] (+)= Σ_c W[rowIdx[j], c] · x[t, c]} (FloE's selected gate rows).
     *
     * @param rowIdx (m) int32 row ids of W, each in [0, w.rows)
     * @param x      (n, cols) f32
     * @param out    (n, m) f32
     */
    public void matmulGathered(CudaStream s, DeviceMatrix w, DeviceBuffer rowIdx, int m, DeviceBuffer x, DeviceBuffer out,
                               int n, boolean accumulate) {
        need(rowIdx, 4L * m, w.name() + " rowIdx");
        matmulRows(s, w, rowIdx, m, x, out, n, accumulate);
    }

    private void matmulRows(CudaStream s, DeviceMatrix w, DeviceBuffer rowIdx, int rows, DeviceBuffer x, DeviceBuffer out,
                            int n, boolean accumulate) {
        checkTokens(n);
        need(x, 4L * n * w.cols(), w.name() + " x");
        need(out, 4L * n * rows, w.name() + " out");
        String name = "strata_matvec_" + suffix(w.dtype()) + (n == 1 ? "_n1" : "_n8");
        Launcher l = launcher(name, 8);
        synchronized (l) {
            l.ptr(0, w.data()).ptr(1, x).ptr(2, out).ptr(3, rowIdx).i32(4, rows).i32(5, w.cols()).i32(6, n).i32(7, accumulate ? 1 : 0)
                    .launch(LaunchConfig.matvecBlocks(rows), 1, LaunchConfig.BLOCK, 0, s);
        }
    }

    /**
     * Fused dequantize + matmul for INT4/INT2 group-64 weights: out (n, rows) (+)= x (n, cols) · Wᵀ.
     *
     * @param rowIdx (rows of the output) int32 source rows, or null for all rows of w
     * @param m      output rows: w.rows without rowIdx, the number of selected rows with it
     */
    public void matmulQuant(CudaStream s, QuantMatrix w, DeviceBuffer rowIdx, int m, DeviceBuffer x, DeviceBuffer out, int n,
                            boolean accumulate) {
        checkTokens(n);
        if (rowIdx == null && m != w.rows()) throw new IllegalArgumentException(w.name() + ": m must equal rows " + w.rows() + " without rowIdx, found " + m);
        if (rowIdx != null) need(rowIdx, 4L * m, w.name() + " rowIdx");
        need(x, 4L * n * w.cols(), w.name() + " x");
        need(out, 4L * n * m, w.name() + " out");
        if ((x.address() & 15) != 0) throw new IllegalArgumentException(w.name() + ": x must be 16-byte aligned, found address 0x" + Long.toHexString(x.address()));
        String name = "strata_matvec_q" + w.bits() + (n == 1 ? "_n1" : "_n8");
        Launcher l = launcher(name, 10);
        synchronized (l) {
            l.ptr(0, w.q()).ptr(1, w.scales()).ptr(2, w.zeros()).ptr(3, x).ptr(4, out).ptr(5, rowIdx).i32(6, m).i32(7, w.cols())
                    .i32(8, n).i32(9, accumulate ? 1 : 0)
                    .launch(LaunchConfig.matvecBlocks(m), 1, LaunchConfig.BLOCK, 0, s);
        }
    }

    /** The ggml block types the device kernels read (blocks.cuh). */
    public static boolean supportsGgml(io.strata.compression.ggml.GgmlType t) {
        return switch (t) {
            case Q8_0, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /**
     * Fused dequantize + matmul straight from ggml blocks as GGUF stores them: out (n, rows) (+)= x (n, cols) · Wᵀ.
     *
     * @param w    (rows, cols / blockSize) blocks of {@code type}, row-major, 2-byte aligned
     * @param x    (n, cols) f32
     * @param out  (n, rows) f32
     * @param n    tokens, 1..8
     */
    public void matmulGgml(CudaStream s, DeviceBuffer w, io.strata.compression.ggml.GgmlType type, int rows, int cols, DeviceBuffer x,
                           DeviceBuffer out, int n, boolean accumulate) {
        checkTokens(n);
        if (!supportsGgml(type)) throw new IllegalArgumentException("no device kernel for ggml type " + type + " (Q8_0, Q4_K, Q5_K, Q6_K)");
        if (rows <= 0 || cols % type.blockSize != 0) {
            throw new IllegalArgumentException(type + " [" + rows + ", " + cols + "]: rows must be > 0 and cols a multiple of " + type.blockSize);
        }
        need(w, (long) rows * (cols / type.blockSize) * type.typeSize, type + " weights");
        need(x, 4L * n * cols, type + " x");
        need(out, 4L * n * rows, type + " out");
        if ((w.address() & 1) != 0) throw new IllegalArgumentException(type + " weights must be 2-byte aligned, found 0x" + Long.toHexString(w.address()));
        Launcher l = launcher("strata_matvec_" + type.name().toLowerCase(java.util.Locale.ROOT) + (n == 1 ? "_n1" : "_n8"), 7);
        synchronized (l) {
            l.ptr(0, w).ptr(1, x).ptr(2, out).i32(3, rows).i32(4, cols).i32(5, n).i32(6, accumulate ? 1 : 0)
                    .launch(LaunchConfig.matvecBlocks(rows), 1, LaunchConfig.BLOCK, 0, s);
        }
    }

    /**
     * Fused dequantize + matmul from block-scaled FP8: W[r][c] = e4m3(codes[r][c]) · scales[r / br][c / bc];
     * out (n, rows) (+)= x (n, cols) · Wᵀ.
     *
     * @param codes  (rows, cols) E4M3 bytes
     * @param scales (ceil(rows / br), ceil(cols / bc)) f32
     */
    public void matmulFp8(CudaStream s, DeviceBuffer codes, DeviceBuffer scales, int rows, int cols, int br, int bc, DeviceBuffer x,
                          DeviceBuffer out, int n, boolean accumulate) {
        checkTokens(n);
        if (rows <= 0 || cols <= 0 || br <= 0 || bc <= 0) {
            throw new IllegalArgumentException("FP8 [" + rows + ", " + cols + "] in " + br + "x" + bc + " blocks: every size must be > 0");
        }
        need(codes, (long) rows * cols, "FP8 codes");
        need(scales, 4L * ((rows + br - 1) / br) * ((cols + bc - 1) / bc), "FP8 scales");
        need(x, 4L * n * cols, "FP8 x");
        need(out, 4L * n * rows, "FP8 out");
        Launcher l = launcher(n == 1 ? "strata_matvec_fp8_n1" : "strata_matvec_fp8_n8", 10);
        synchronized (l) {
            l.ptr(0, codes).ptr(1, scales).ptr(2, x).ptr(3, out).i32(4, rows).i32(5, cols).i32(6, br).i32(7, bc).i32(8, n)
                    .i32(9, accumulate ? 1 : 0).launch(LaunchConfig.matvecBlocks(rows), 1, LaunchConfig.BLOCK, 0, s);
        }
    }

    /**
     * {@code out (n, rows) = x (n, cols) · Ŵᵀ} for an MXFP4 matrix in ggml's block layout (17 bytes per 32 values),
     * dequantized on the fly; n ≤ {@link LaunchConfig#MAX_TOKENS}.
     *
     * @param w    (rows, cols/32 · 17) bytes
     * @param x    (n, cols) f32
     * @param out  (n, rows) f32
     */
    public void matmulMxfp4(CudaStream s, DeviceBuffer w, int rows, int cols, DeviceBuffer x, DeviceBuffer out, int n) {
        checkTokens(n);
        if (cols % 32 != 0) throw new IllegalArgumentException("mxfp4 matmul: cols must be a multiple of 32, found " + cols);
        need(w, (long) rows * (cols / 32) * 17, "mxfp4 weight");
        need(x, 4L * n * cols, "mxfp4 x");
        need(out, 4L * n * rows, "mxfp4 out");
        Launcher l = launcher(n == 1 ? "strata_matvec_mxfp4_n1" : "strata_matvec_mxfp4_n8", 6);
        synchronized (l) {
            l.ptr(0, w).ptr(1, x).ptr(2, out).i32(3, rows).i32(4, cols).i32(5, n).launch(LaunchConfig.matvecBlocks(rows), 1, LaunchConfig.BLOCK, 0, s);
        }
    }

    /**
     * {@code y[c] += Σ_{i<m} h[i] · Wt[src(i), c]}: FloE's down projection over the selected
     * channels, with down stored transposed (intermediate, hidden). Accumulates with atomics, so
     * the summation order (last bits) varies between runs.
     *
     * @param wt     (inter, hidden) transposed down projection
     * @param h      (m) f32 activations of the selected channels
     * @param rowIdx (m) int32 rows of wt, or null for rows 0..m-1
     * @param y      (hidden) f32, accumulated into
     */
    public void downTransposedAccumulate(CudaStream s, DeviceMatrix wt, DeviceBuffer h, DeviceBuffer rowIdx, int m, DeviceBuffer y) {
        need(h, 4L * m, wt.name() + " h");
        if (rowIdx != null) need(rowIdx, 4L * m, wt.name() + " rowIdx");
        else if (m > wt.rows()) throw new IllegalArgumentException(wt.name() + ": m " + m + " exceeds rows " + wt.rows());
        need(y, 4L * wt.cols(), wt.name() + " y");
        int[] grid = LaunchConfig.downTransposedGrid(wt.dtype(), m, wt.cols());
        Launcher l = launcher("strata_downt_accumulate_" + suffix(wt.dtype()), 6);
        synchronized (l) {
            l.ptr(0, wt.data()).ptr(1, h).ptr(2, rowIdx).ptr(3, y).i32(4, m).i32(5, wt.cols()).launch(grid[0], grid[1], LaunchConfig.BLOCK, 0, s);
        }
    }

    /** {@code out[r, :] = x[r, :] / sqrt(mean(x[r, :]²) + eps) · w}; x, out (rows, dim) f32 (may alias), w (dim) f32. */
    public void rmsnorm(CudaStream s, DeviceBuffer x, DeviceBuffer w, DeviceBuffer out, int rows, int dim, float eps) {
        need(x, 4L * rows * dim, "rmsnorm x");
        need(w, 4L * dim, "rmsnorm weight");
        need(out, 4L * rows * dim, "rmsnorm out");
        Launcher l = launcher("strata_rmsnorm", 5);
        synchronized (l) {
            l.ptr(0, x).ptr(1, w).ptr(2, out).i32(3, dim).f32(4, eps).launch(rows, 1, LaunchConfig.BLOCK, 0, s);
        }
    }

    /**
     * In-place NeoX RoPE: pairs (i, i + headDim/2), angle = p / theta^(2i/headDim) with
     * p = pos[t], or pos0 + t when {@code pos} is null.
     *
     * @param x   (n, heads, headDim) f32
     * @param pos (n) int32 absolute positions, or null for pos0, pos0+1, ...
     */
    public void rope(CudaStream s, DeviceBuffer x, DeviceBuffer pos, int pos0, int n, int heads, int headDim, float theta) {
        if (headDim % 2 != 0) throw new IllegalArgumentException("rope: headDim must be even, found " + headDim);
        need(x, 4L * n * heads * headDim, "rope x");
        if (pos != null) need(pos, 4L * n, "rope positions");
        long pairs = (long) n * heads * (headDim / 2);
        Launcher l = launcher("strata_rope_neox", 7);
        synchronized (l) {
            l.ptr(0, x).ptr(1, pos).i32(2, pos0).i32(3, n).i32(4, heads).i32(5, headDim).f32(6, theta)
                    .launch(LaunchConfig.elementwiseBlocks(pairs), 1, LaunchConfig.BLOCK, 0, s);
        }
    }

    /**
     * In-place NeoX RoPE with the frequencies given (YaRN): angle = p · invFreq[i], cos and sin times {@code scale}.
     *
     * @param x       (n, heads, headDim) f32
     * @param pos     (n) int32 absolute positions, or null for pos0, pos0+1, ...
     * @param invFreq (headDim/2) f32
     */
    public void ropeTable(CudaStream s, DeviceBuffer x, DeviceBuffer pos, int pos0, int n, int heads, int headDim, DeviceBuffer invFreq,
                          float scale) {
        if (headDim % 2 != 0) throw new IllegalArgumentException("rope: headDim must be even, found " + headDim);
        need(x, 4L * n * heads * headDim, "rope x");
        if (pos != null) need(pos, 4L * n, "rope positions");
        need(invFreq, 4L * (headDim / 2), "rope invFreq");
        long pairs = (long) n * heads * (headDim / 2);
        Launcher l = launcher("strata_rope_table", 8);
        synchronized (l) {
            l.ptr(0, x).ptr(1, pos).i32(2, pos0).i32(3, n).i32(4, heads).i32(5, headDim).ptr(6, invFreq).f32(7, scale)
                    .launch(LaunchConfig.elementwiseBlocks(pairs), 1, LaunchConfig.BLOCK, 0, s);
        }
    }

    /**
     * {@link #attention} with gpt-oss's sliding window (query at p sees positions max(0, p − window + 1) .. p; 0: all)
     * and attention sinks (one logit per head added to the softmax denominator; null: none), scale 1/√headDim.
     *
     * @param sinks (heads) f32 or null
     */
    public void attentionWindowSinks(CudaStream s, DeviceBuffer q, DeviceBuffer kCache, DeviceBuffer vCache, DeviceBuffer out, int n,
                                     int pos0, int heads, int kvHeads, int headDim, int window, DeviceBuffer sinks) {
        LaunchConfig.checkAttention(heads, kvHeads, headDim);
        if (n < 1 || pos0 < 0 || window < 0) {
            throw new IllegalArgumentException("attention: n ≥ 1, pos0 ≥ 0 and window ≥ 0 required, found n=" + n + " pos0=" + pos0 + " window=" + window);
        }
        long kvBytes = 4L * (pos0 + n) * kvHeads * headDim;
        need(q, 4L * n * heads * headDim, "attention q");
        need(kCache, kvBytes, "attention kCache");
        need(vCache, kvBytes, "attention vCache");
        need(out, 4L * n * heads * headDim, "attention out");
        if (sinks != null) need(sinks, 4L * heads, "attention sinks");
        Launcher l = launcher("strata_attention_window_sinks", 12);
        synchronized (l) {
            l.ptr(0, q).ptr(1, kCache).ptr(2, vCache).ptr(3, out).i32(4, n).i32(5, pos0).i32(6, heads).i32(7, kvHeads).i32(8, headDim)
                    .f32(9, (float) (1.0 / Math.sqrt(headDim))).i32(10, window).ptr(11, sinks).launch(heads, n, LaunchConfig.ATTENTION_THREADS, 0, s);
        }
    }

    /**
     * gpt-oss's expert activation in place over gate: {@code g = min(gate + gateBias, limit), u = clamp(up + upBias, ±limit),
     * gate = (u + 1) · g · σ(alpha · g)}.
     *
     * @param gate     (count = n·inter) f32
     * @param up       (count) f32
     * @param gateBias (inter) f32
     * @param upBias   (inter) f32
     */
    public void clampedGlu(CudaStream s, DeviceBuffer gate, DeviceBuffer up, DeviceBuffer gateBias, DeviceBuffer upBias, int inter, float alpha,
                           float limit, long count) {
        need(gate, 4 * count, "clampedGlu gate");
        need(up, 4 * count, "clampedGlu up");
        need(gateBias, 4L * inter, "clampedGlu gateBias");
        need(upBias, 4L * inter, "clampedGlu upBias");
        Launcher l = launcher("strata_clamped_glu", 8);
        synchronized (l) {
            l.ptr(0, gate).ptr(1, up).ptr(2, gateBias).ptr(3, upBias).i32(4, inter).f32(5, alpha).f32(6, limit).i64(7, count)
                    .launch(LaunchConfig.elementwiseBlocks(count), 1, LaunchConfig.BLOCK, 0, s);
        }
    }

    /**
     * In-place RoPE with explicit inverse frequencies (YaRN, partial rotary): pairs (i, i + half) for i < half,
     * angle = (pos0 + t) · invFreq[i], cos and sin times attnFactor; dimensions from 2·half on pass through.
     *
     * @param x       (n, heads, headDim) f32
     * @param invFreq (half) f32
     */
    public void ropeFreqs(CudaStream s, DeviceBuffer x, DeviceBuffer invFreq, int pos0, int n, int heads, int headDim, int half,
                          float attnFactor) {
        if (half < 1 || 2 * half > headDim) {
            throw new IllegalArgumentException("rope: 2 x " + half + " rotated dimensions must fit the head dimension " + headDim);
        }
        need(x, 4L * n * heads * headDim, "rope x");
        need(invFreq, 4L * half, "rope inverse frequencies");
        long pairs = (long) n * heads * half;
        Launcher l = launcher("strata_rope_freqs", 8);
        synchronized (l) {
            l.ptr(0, x).ptr(1, invFreq).i32(2, pos0).i32(3, n).i32(4, heads).i32(5, headDim).i32(6, half).f32(7, attnFactor)
                    .launch(LaunchConfig.elementwiseBlocks(pairs), 1, LaunchConfig.BLOCK, 0, s);
        }
    }

    /** Largest kv_lora_rank and rope dimension {@link #latentAttention} takes (the kernel's register tiles). */
    public static final int LATENT_MAX_RANK = 512, LATENT_MAX_ROPE = 128;

    /**
     * Causal multi-head latent attention (DeepSeek MLA with absorbed up-projections) for n queries at positions
     * pos0..pos0+n−1: s_j = scale·(qLat·lat_j + qPe·pe_j), out = Σ_j softmax(s)_j lat_j.
     *
     * @param qLat (n, heads, rank) f32
     * @param qPe  (n, heads, rope) f32
     * @param lat  (≥ pos0+n, rank) f32, the latents of positions 0..pos0+n−1 already written
     * @param pe   (≥ pos0+n, rope) f32, their rotary keys
     * @param out  (n, heads, rank) f32
     */
    public void latentAttention(CudaStream s, DeviceBuffer qLat, DeviceBuffer qPe, DeviceBuffer lat, DeviceBuffer pe, DeviceBuffer out,
                                int n, int pos0, int heads, int rank, int rope, float scale) {
        if (rank < 1 || rank > LATENT_MAX_RANK || rope < 1 || rope > LATENT_MAX_ROPE) {
            throw new IllegalArgumentException("latent attention: rank 1.." + LATENT_MAX_RANK + " and rope 1.." + LATENT_MAX_ROPE
                    + " supported, found " + rank + " and " + rope);
        }
        if (n < 1 || pos0 < 0 || heads < 1) {
            throw new IllegalArgumentException("latent attention: n, heads ≥ 1 and pos0 ≥ 0 required, found n=" + n + " heads=" + heads
                    + " pos0=" + pos0);
        }
        need(qLat, 4L * n * heads * rank, "latent attention qLat");
        need(qPe, 4L * n * heads * rope, "latent attention qPe");
        need(lat, 4L * (pos0 + n) * rank, "latent attention latent cache");
        need(pe, 4L * (pos0 + n) * rope, "latent attention rope cache");
        need(out, 4L * n * heads * rank, "latent attention out");
        Launcher l = launcher("strata_latent_attention", 11);
        synchronized (l) {
            l.ptr(0, qLat).ptr(1, qPe).ptr(2, lat).ptr(3, pe).ptr(4, out).i32(5, n).i32(6, pos0).i32(7, heads).i32(8, rank).i32(9, rope)
                    .f32(10, scale).launch(heads, n, LaunchConfig.ATTENTION_THREADS, 0, s);
        }
    }

    /**
     * Grouped router (DeepSeek-V2/V3, GLM-4.5): softmax or sigmoid scores, plus bias for the choice, group-limited
     * selection, top-k by choice (descending, ties to the lower id), weights = scores, renormalised when asked,
     * times scale.
     *
     * @param logits  (n, E) f32
     * @param bias    (E) f32 or null
     * @param ids     (n, k) int32 out
     * @param weights (n, k) f32 out
     */
    public void routerGrouped(CudaStream s, DeviceBuffer logits, DeviceBuffer bias, int n, int experts, int k, boolean sigmoid,
                              int nGroup, int topkGroup, boolean groupTop2, boolean normalize, float scale, DeviceBuffer ids,
                              DeviceBuffer weights) {
        if (nGroup < 1 || experts % nGroup != 0 || topkGroup < 1 || topkGroup > nGroup) {
            throw new IllegalArgumentException("router: " + nGroup + " groups must divide " + experts + " experts and keep 1.." + nGroup
                    + " groups, found topkGroup " + topkGroup);
        }
        if (k < 1 || k > topkGroup * (experts / nGroup)) {
            throw new IllegalArgumentException("router: k must be 1.." + topkGroup * (experts / nGroup) + ", found " + k);
        }
        need(logits, 4L * n * experts, "router logits");
        if (bias != null) need(bias, 4L * experts, "router bias");
        need(ids, 4L * n * k, "router ids");
        need(weights, 4L * n * k, "router weights");
        Launcher l = launcher("strata_router_grouped", 12);
        synchronized (l) {
            l.ptr(0, logits).ptr(1, bias).i32(2, experts).i32(3, k).i32(4, sigmoid ? 1 : 0).i32(5, nGroup).i32(6, topkGroup)
                    .i32(7, groupTop2 ? 1 : 0).i32(8, normalize ? 1 : 0).f32(9, scale).ptr(10, ids).ptr(11, weights)
                    .launch(n, 1, 32, 4 * (2 * experts + nGroup), s);
        }
    }

    /**
     * Causal GQA attention for n queries at positions pos0..pos0+n−1 (decode: n = 1), scale 1/√headDim.
     *
     * @param q      (n, heads, headDim) f32
     * @param kCache (≥ pos0+n, kvHeads, headDim) f32, keys of positions 0..pos0+n−1 already written
     * @param vCache same layout as kCache
     * @param out    (n, heads, headDim) f32
     */
    public void attention(CudaStream s, DeviceBuffer q, DeviceBuffer kCache, DeviceBuffer vCache, DeviceBuffer out, int n, int pos0,
                          int heads, int kvHeads, int headDim) {
        attention(s, q, kCache, vCache, out, n, pos0, heads, kvHeads, headDim, (float) (1.0 / Math.sqrt(headDim)));
    }

    /** {@link #attention} with an explicit softmax scale. */
    public void attention(CudaStream s, DeviceBuffer q, DeviceBuffer kCache, DeviceBuffer vCache, DeviceBuffer out, int n, int pos0,
                          int heads, int kvHeads, int headDim, float scale) {
        LaunchConfig.checkAttention(heads, kvHeads, headDim);
        if (n < 1 || pos0 < 0) throw new IllegalArgumentException("attention: n ≥ 1 and pos0 ≥ 0 required, found n=" + n + " pos0=" + pos0);
        long kvBytes = 4L * (pos0 + n) * kvHeads * headDim;
        need(q, 4L * n * heads * headDim, "attention q");
        need(kCache, kvBytes, "attention kCache");
        need(vCache, kvBytes, "attention vCache");
        need(out, 4L * n * heads * headDim, "attention out");
        Launcher l = launcher("strata_attention", 10);
        synchronized (l) {
            l.ptr(0, q).ptr(1, kCache).ptr(2, vCache).ptr(3, out).i32(4, n).i32(5, pos0).i32(6, heads).i32(7, kvHeads).i32(8, headDim)
                    .f32(9, scale).launch(heads, n, LaunchConfig.ATTENTION_THREADS, 0, s);
        }
    }

    /**
     * Router: softmax over E expert logits, top-k (descending, ties to the lower id), weights
     * renormalised to sum 1 when {@code normalize}.
     *
     * @param logits  (n, E) f32
     * @param ids     (n, k) int32 out
     * @param weights (n, k) f32 out
     */
    public void routerTopK(CudaStream s, DeviceBuffer logits, int n, int experts, int k, boolean normalize, DeviceBuffer ids,
                           DeviceBuffer weights) {
        if (k < 1 || k > experts) throw new IllegalArgumentException("router: k must be 1.." + experts + ", found " + k);
        need(logits, 4L * n * experts, "router logits");
        need(ids, 4L * n * k, "router ids");
        need(weights, 4L * n * k, "router weights");
        Launcher l = launcher("strata_router_topk", 6);
        synchronized (l) {
            l.ptr(0, logits).i32(1, experts).i32(2, k).i32(3, normalize ? 1 : 0).ptr(4, ids).ptr(5, weights)
                    .launch(n, 1, 32, 4 * experts, s);
        }
    }

    /** {@code out = silu(gate) ⊙ up}; all (count) f32; out may alias gate or up. */
    public void swiglu(CudaStream s, DeviceBuffer gate, DeviceBuffer up, DeviceBuffer out, long count) {
        need(gate, 4 * count, "swiglu gate");
        need(up, 4 * count, "swiglu up");
        need(out, 4 * count, "swiglu out");
        Launcher l = launcher("strata_swiglu", 4);
        synchronized (l) {
            l.ptr(0, gate).ptr(1, up).ptr(2, out).i64(3, count).launch(LaunchConfig.elementwiseBlocks(count), 1, LaunchConfig.BLOCK, 0, s);
        }
    }

    /** {@code y += alpha · x}; (count) f32. */
    public void axpy(CudaStream s, DeviceBuffer y, DeviceBuffer x, float alpha, long count) {
        need(y, 4 * count, "axpy y");
        need(x, 4 * count, "axpy x");
        Launcher l = launcher("strata_axpy", 4);
        synchronized (l) {
            l.ptr(0, y).ptr(1, x).f32(2, alpha).i64(3, count).launch(LaunchConfig.elementwiseBlocks(count), 1, LaunchConfig.BLOCK, 0, s);
        }
    }

    /** {@code y += alpha[alphaIndex] · x} with alpha on the device (router weight); (count) f32. */
    public void axpyDevice(CudaStream s, DeviceBuffer y, DeviceBuffer x, DeviceBuffer alpha, int alphaIndex, long count) {
        need(y, 4 * count, "axpyDevice y");
        need(x, 4 * count, "axpyDevice x");
        need(alpha, 4L * (alphaIndex + 1), "axpyDevice alpha");
        Launcher l = launcher("strata_axpy_dev", 5);
        synchronized (l) {
            l.ptr(0, y).ptr(1, x).ptr(2, alpha).i32(3, alphaIndex).i64(4, count)
                    .launch(LaunchConfig.elementwiseBlocks(count), 1, LaunchConfig.BLOCK, 0, s);
        }
    }

    /** {@code out = a + b}; (count) f32, out may alias a or b. */
    public void add(CudaStream s, DeviceBuffer a, DeviceBuffer b, DeviceBuffer out, long count) {
        need(a, 4 * count, "add a");
        need(b, 4 * count, "add b");
        need(out, 4 * count, "add out");
        Launcher l = launcher("strata_add", 4);
        synchronized (l) {
            l.ptr(0, a).ptr(1, b).ptr(2, out).i64(3, count).launch(LaunchConfig.elementwiseBlocks(count), 1, LaunchConfig.BLOCK, 0, s);
        }
    }

    /** {@code x *= alpha}; (count) f32. */
    public void scale(CudaStream s, DeviceBuffer x, float alpha, long count) {
        need(x, 4 * count, "scale x");
        Launcher l = launcher("strata_scale", 3);
        synchronized (l) {
            l.ptr(0, x).f32(1, alpha).i64(2, count).launch(LaunchConfig.elementwiseBlocks(count), 1, LaunchConfig.BLOCK, 0, s);
        }
    }

    /** {@code x[r, c] += bias[c]}; x (rows, dim) f32, bias (dim) f32. */
    public void biasAdd(CudaStream s, DeviceBuffer x, DeviceBuffer bias, int rows, int dim) {
        long count = (long) rows * dim;
        need(x, 4 * count, "biasAdd x");
        need(bias, 4L * dim, "biasAdd bias");
        Launcher l = launcher("strata_bias_add", 4);
        synchronized (l) {
            l.ptr(0, x).ptr(1, bias).i32(2, dim).i64(3, count).launch(LaunchConfig.elementwiseBlocks(count), 1, LaunchConfig.BLOCK, 0, s);
        }
    }

    /** {@code x = min(max(x, lo), hi)}; (count) f32. */
    public void clamp(CudaStream s, DeviceBuffer x, float lo, float hi, long count) {
        need(x, 4 * count, "clamp x");
        Launcher l = launcher("strata_clamp", 4);
        synchronized (l) {
            l.ptr(0, x).f32(1, lo).f32(2, hi).i64(3, count).launch(LaunchConfig.elementwiseBlocks(count), 1, LaunchConfig.BLOCK, 0, s);
        }
    }

    /** {@code out[t, :] = (float) table[ids[t], :]}; table (vocab, dim), ids (n) int32, out (n, dim) f32. */
    public void embed(CudaStream s, DeviceMatrix table, DeviceBuffer ids, int n, DeviceBuffer out) {
        long count = (long) n * table.cols();
        need(ids, 4L * n, "embed ids");
        need(out, 4 * count, "embed out");
        Launcher l = launcher("strata_embed_" + suffix(table.dtype()), 5);
        synchronized (l) {
            l.ptr(0, table.data()).ptr(1, ids).ptr(2, out).i32(3, table.cols()).i64(4, count)
                    .launch(LaunchConfig.elementwiseBlocks(count), 1, LaunchConfig.BLOCK, 0, s);
        }
    }

    /** {@code out[j] = in[idx[j]]}; idx (m) int32, out (m) f32. */
    public void gather(CudaStream s, DeviceBuffer in, DeviceBuffer idx, int m, DeviceBuffer out) {
        need(idx, 4L * m, "gather idx");
        need(out, 4L * m, "gather out");
        Launcher l = launcher("strata_gather", 4);
        synchronized (l) {
            l.ptr(0, in).ptr(1, idx).ptr(2, out).i64(3, m).launch(LaunchConfig.elementwiseBlocks(m), 1, LaunchConfig.BLOCK, 0, s);
        }
    }

    /**
     * FloE channel selection: idx = ascending i with |v[i]| > threshold, count[0] = how many.
     *
     * @param v     (len) f32
     * @param idx   (len) int32 capacity
     * @param count (1) int32
     */
    public void selectAbove(CudaStream s, DeviceBuffer v, int len, float threshold, DeviceBuffer idx, DeviceBuffer count) {
        need(v, 4L * len, "selectAbove v");
        need(idx, 4L * len, "selectAbove idx");
        need(count, 4, "selectAbove count");
        Launcher l = launcher("strata_select_above", 5);
        synchronized (l) {
            l.ptr(0, v).i32(1, len).f32(2, threshold).ptr(3, idx).ptr(4, count).launch(1, 1, 1024, 0, s);
        }
    }

    public CudaContext context() {
        return ctx;
    }
}
