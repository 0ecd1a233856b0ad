// The CUDA backend: every Backend op on our own kernels (kernels-cuda), dense weights uploaded once
// to VRAM, routed experts served through the VRAM expert cache with copies on a separate stream.
package io.strata.engine.backend.cuda;

import io.strata.compression.DType;
import io.strata.compression.Matrix;
import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.GroupQuantCodec;
import io.strata.compression.quant.QuantizedMatrix;
import io.strata.engine.backend.Backend;
import io.strata.engine.backend.Buf;
import io.strata.engine.backend.KvCache;
import io.strata.engine.backend.Op;
import io.strata.engine.backend.Weight;
import io.strata.kernels.cuda.CudaContext;
import io.strata.kernels.cuda.CudaKernels;
import io.strata.kernels.cuda.CudaStream;
import io.strata.kernels.cuda.DeviceBuffer;
import io.strata.kernels.cuda.DeviceMatrix;
import io.strata.kernels.cuda.LaunchConfig;
import io.strata.kernels.cuda.PinnedBuffer;
import io.strata.kernels.cuda.QuantMatrix;
import io.strata.kernels.cuda.VramExpertCache;
import io.strata.tiering.ExpertKey;
import io.strata.tiering.ExpertWeights;
import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Runs on one device ({@link CudaContext#shared()}). All compute is queued on one stream, so
 * calls return before the GPU is done; {@link #read} waits. Expert weights move on a second
 * (copy) stream and the compute stream waits only for the expert it is about to use.
 *
 * <p>VRAM for routed experts, fixed when the first expert arrives: with {@link #vramBudget(long)} (the
 * CLI's {@code --fast-budget}) the whole backend stays within that many bytes, so the expert cache gets
 * what the dense weights (attention, norms, embeddings, dense and shared FFNs: uploaded once, resident),
 * the KV caches at full capacity and {@link #SCRATCH_RESERVE} leave; otherwise
 * {@code -Dstrata.cuda.expertBudget=BYTES} sizes the cache alone, default 40 % of the device memory
 * then free. At most {@code -Dstrata.cuda.maxExpertSlots} (default 1024) slots.
 *
 * <p>Experts arrive dense ({@link #expertFfn}) or as group-quantized codec blobs
 * ({@link #quantExpertFfn}: INT4/INT2 with groups of 64 run on the fused dequantize kernels from
 * the blob's copy in VRAM; other formats fall back to the host kernels, logged once).
 */
public final class CudaBackend implements Backend {
    private static final System.Logger LOG = System.getLogger("strata.cuda");

    private final CudaContext ctx;
    private final CudaKernels k;
    private final CudaStream stream;       // all compute and activation copies
    private final CudaStream copyStream;   // expert weight uploads
    private final DevicePool pool;
    private final Map<ExpertWeights, Resident> residentFfns = new IdentityHashMap<>();
    private VramExpertCache experts;
    private PinnedBuffer staging;          // host side of write/read and of per-call int arrays
    private DeviceBuffer ints;             // (capacity) int32 device scratch for ids and positions
    private DeviceBuffer ffnGate, ffnUp;   // (n·inter) f32 scratch of expertFfn
    private boolean closed;
    private final long baseline;           // context bytes allocated before this backend
    private long vramBudget = -1;          // whole-backend VRAM budget, or -1
    private long kvReserve, kvAllocated;   // KV caches: bytes at full capacity, bytes allocated
    private boolean warnedHostQuant;
    /** VRAM kept free for activations and scratch when the expert cache is sized from the total budget. */
    static final long SCRATCH_RESERVE = 128L << 20;

    private record Resident(DeviceMatrix gate, DeviceMatrix up, DeviceMatrix down) {}

    /** A dense weight resident in VRAM. */
    record CudaWeight(Matrix matrix, DeviceMatrix device) implements Weight {}

    record CudaKv(DeviceBuffer[] k, DeviceBuffer[] v, int capacity, int kvHeads, int headDim) implements KvCache {
        @Override
        public int layers() {
            return k.length;
        }
    }

    private CudaBackend(CudaContext ctx) {
        this.ctx = ctx;
        this.k = ctx.kernels();
        this.stream = ctx.newStream();
        this.copyStream = ctx.newStream();
        this.pool = new DevicePool(ctx);
        this.baseline = ctx.allocatedBytes();
        ctx.resetPeak();
    }

    /**
     * The backend on the shared device (Backends.create("cuda") calls this reflectively).
     *
     * @throws io.strata.kernels.cuda.CudaUnavailableException "CUDA backend unavailable: ..." without a usable GPU
     */
    public static CudaBackend create() {
        return new CudaBackend(CudaContext.shared());
    }

    @Override
    public String name() {
        return "cuda:" + ctx.ordinal() + " " + ctx.deviceName() + " (sm_" + ctx.computeCapability() + ")";
    }

    @Override
    public boolean supports(Op op, DType weightDtype) {
        return weightDtype.isFloat();
    }

    private static CudaBuf b(Buf x) {
        if (x instanceof CudaBuf c) return c;
        throw new IllegalArgumentException("CUDA backend given a buffer of another backend: " + x.getClass().getName());
    }

    private void checkLen(Buf x, long need, String what) {
        if (x.length() < need) throw new IllegalArgumentException(what + ": expected at least " + need + " elements, found " + x.length());
    }

    @Override
    public Buf alloc(int length) {
        CudaBuf buf = pool.take(length);
        buf.mem.zeroAsync(stream);
        return buf;
    }

    private MemorySegment staging(long bytes) {
        if (staging == null || staging.byteSize() < bytes) {
            if (staging != null) {
                stream.synchronize();
                staging.close();
            }
            staging = ctx.allocPinned(Math.max(1L << 20, DevicePool.sizeClass(bytes)));
        }
        return staging.segment().asSlice(0, bytes);
    }

    @Override
    public void write(Buf dst, float[] src, int srcOff, int len) {
        checkLen(dst, len, "write");
        if (len == 0) return;
        // Staged through pinned memory on the compute stream, so it is ordered after earlier kernels
        // that read dst; waits because the staging buffer is reused by the next call.
        MemorySegment st = staging(4L * len);
        MemorySegment.copy(src, srcOff, st, ValueLayout.JAVA_FLOAT, 0, len);
        b(dst).at(0, len).copyFromHostAsync(st, 0, stream);
        stream.synchronize();
    }

    @Override
    public void read(Buf src, float[] dst, int dstOff, int len) {
        checkLen(src, len, "read");
        if (len == 0) return;
        MemorySegment st = staging(4L * len);
        b(src).at(0, len).copyToHostAsync(0, st, stream);
        stream.synchronize();
        MemorySegment.copy(st, ValueLayout.JAVA_FLOAT, 0, dst, dstOff, len);
    }

    /** Uploads int32 values to device scratch (synchronously, as write does). */
    private DeviceBuffer uploadInts(int[] values) {
        long bytes = 4L * Math.max(1, values.length);
        if (ints == null || ints.byteSize() < bytes) {
            stream.synchronize();
            if (ints != null) ints.close();
            ints = ctx.alloc(DevicePool.sizeClass(bytes), "int-scratch");
        }
        MemorySegment st = staging(4L * values.length);
        MemorySegment.copy(values, 0, st, ValueLayout.JAVA_INT, 0, values.length);
        DeviceBuffer dst = ints.slice(0, 4L * values.length);
        dst.copyFromHostAsync(st, 0, stream);
        stream.synchronize();
        return dst;
    }

    @Override
    public Weight weight(Matrix m) {
        return new CudaWeight(m, DeviceMatrix.upload(ctx, m));
    }

    @Override
    public Buf vector(Matrix m) {
        int n = m.rows() * m.cols();
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = m.get(i / m.cols(), i % m.cols());
        Buf out = alloc(n);
        write(out, v, 0, n);
        return out;
    }

    private static DeviceMatrix dev(Weight w) {
        if (w instanceof CudaWeight c) return c.device();
        throw new IllegalArgumentException("CUDA backend given a weight of another backend: " + w.getClass().getName());
    }

    @Override
    public void matmul(Weight w, Buf x, int n, Buf out) {
        matmul(dev(w), b(x), n, b(out));
    }

    /** out (n, rows) = x (n, cols) · Wᵀ in launches of at most 8 tokens (the kernels' batch). */
    private void matmul(DeviceMatrix w, CudaBuf x, int n, CudaBuf out) {
        checkLen(x, (long) n * w.cols(), w.name() + " x");
        checkLen(out, (long) n * w.rows(), w.name() + " out");
        for (int t0 = 0; t0 < n; t0 += LaunchConfig.MAX_TOKENS) {
            int m = Math.min(LaunchConfig.MAX_TOKENS, n - t0);
            k.matmul(stream, w, x.at(t0 * w.cols(), m * w.cols()), out.at(t0 * w.rows(), m * w.rows()), m, false);
        }
    }

    @Override
    public void embed(Weight table, int[] ids, Buf out) {
        DeviceMatrix t = dev(table);
        for (int id : ids) {
            if (id < 0 || id >= t.rows()) throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + t.rows() + ")");
        }
        checkLen(out, (long) ids.length * t.cols(), "embed out");
        if (ids.length == 0) return;
        k.embed(stream, t, uploadInts(ids), ids.length, b(out).at(0, ids.length * t.cols()));
    }

    @Override
    public void addBias(Buf x, Buf bias, int n, int dim) {
        k.biasAdd(stream, b(x).mem, b(bias).mem, n, dim);
    }

    @Override
    public void rmsnorm(Buf x, Buf weight, Buf out, int n, int dim, float eps) {
        k.rmsnorm(stream, b(x).mem, b(weight).mem, b(out).mem, n, dim, eps);
    }

    @Override
    public void rope(Buf x, int n, int heads, int headDim, int pos0, float theta) {
        k.rope(stream, b(x).mem, null, pos0, n, heads, headDim, theta);
    }

    @Override
    public void clamp(Buf x, int len, float lo, float hi) {
        if (len > 0) k.clamp(stream, b(x).mem, lo, hi, len);
    }

    @Override
    public KvCache newKvCache(int layers, int capacity, int kvHeads, int headDim) {
        kvReserve += 2L * layers * capacity * kvHeads * headDim * 4;
        return new CudaKv(new DeviceBuffer[layers], new DeviceBuffer[layers], capacity, kvHeads, headDim);
    }

    private static CudaKv kv(KvCache c) {
        if (c instanceof CudaKv k) return k;
        throw new IllegalArgumentException("CUDA backend given a KV cache of another backend: " + c.getClass().getName());
    }

    /** Grows layer's K/V buffers (by doubling, capped at capacity) to hold {@code positions}. */
    private void ensure(CudaKv c, int layer, int positions) {
        long row = 4L * c.kvHeads() * c.headDim();
        long have = c.k()[layer] == null ? 0 : c.k()[layer].byteSize() / row;
        if (have >= positions) return;
        long cap = Math.min(c.capacity(), Math.max(positions, have == 0 ? 64 : 2 * have));
        for (DeviceBuffer[] arr : new DeviceBuffer[][] {c.k(), c.v()}) {
            DeviceBuffer grown = ctx.alloc(cap * row, (arr == c.k() ? "k" : "v") + "-cache-layer" + layer);
            kvAllocated += grown.byteSize() - (arr[layer] == null ? 0 : arr[layer].byteSize());
            grown.zeroAsync(stream);
            if (arr[layer] != null) {
                grown.copyFromDeviceAsync(arr[layer], 0, 0, arr[layer].byteSize(), stream);
                stream.synchronize();  // the old buffer is freed next; cuMemFree would not wait for the copy
                arr[layer].close();
            }
            arr[layer] = grown;
        }
    }

    @Override
    public void kvStore(KvCache cache, int layer, int pos0, int n, Buf kb, Buf vb) {
        CudaKv c = kv(cache);
        if (pos0 + n > c.capacity()) {
            throw new IllegalStateException("KV cache full: positions up to " + (pos0 + n) + " requested, capacity " + c.capacity());
        }
        ensure(c, layer, pos0 + n);
        long row = 4L * c.kvHeads() * c.headDim();
        c.k()[layer].copyFromDeviceAsync(b(kb).mem, 0, pos0 * row, n * row, stream);
        c.v()[layer].copyFromDeviceAsync(b(vb).mem, 0, pos0 * row, n * row, stream);
    }

    @Override
    public void attention(Buf q, KvCache cache, int layer, int pos0, int n, int heads, Buf out) {
        CudaKv c = kv(cache);
        if (c.k()[layer] == null) throw new IllegalStateException("attention on layer " + layer + " before any kvStore");
        k.attention(stream, b(q).mem, c.k()[layer], c.v()[layer], b(out).mem, n, pos0, heads, c.kvHeads(), c.headDim());
    }

    @Override
    public void siluMul(Buf gate, Buf up, Buf out, int len) {
        if (len > 0) k.swiglu(stream, b(gate).mem, b(up).mem, b(out).mem, len);
    }

    @Override
    public void axpy(Buf y, Buf x, float alpha, int len) {
        if (len > 0) k.axpy(stream, b(y).mem, b(x).mem, alpha, len);
    }

    @Override
    public void copy(Buf src, Buf dst, int len) {
        if (len > 0) b(dst).at(0, len).copyFromDeviceAsync(b(src).mem, 0, 0, 4L * len, stream);
    }

    @Override
    public void gatherRows(Buf src, int[] rows, int dim, Buf dst) {
        CudaBuf s = b(src), d = b(dst);
        for (int i = 0; i < rows.length; i++) {
            d.at(i * dim, dim).copyFromDeviceAsync(s.mem, 4L * rows[i] * dim, 0, 4L * dim, stream);
        }
    }

    @Override
    public void scatterAddRows(Buf src, int[] rows, float[] weights, int dim, Buf dst) {
        CudaBuf s = b(src), d = b(dst);
        for (int i = 0; i < rows.length; i++) {
            k.axpy(stream, d.at(rows[i] * dim, dim), s.at(i * dim, dim), weights[i], dim);
        }
    }

    @Override
    public void expertFfn(ExpertKey key, ExpertWeights w, Buf x, int n, Buf out) {
        CudaBuf xb = b(x), ob = b(out);
        if (key == null) {
            Resident r = residentFfns.computeIfAbsent(w, ww -> new Resident(
                    DeviceMatrix.upload(ctx, ww.gate()), DeviceMatrix.upload(ctx, ww.up()), DeviceMatrix.upload(ctx, ww.down())));
            ffn(r.gate(), r.up(), r.down(), xb, n, ob);
            return;
        }
        VramExpertCache cache = expertCache(w);
        VramExpertCache.Lease lease = cache.acquire(key, w);
        try {
            lease.awaitOn(stream);
            ffn(lease.gate(), lease.up(), lease.down(), xb, n, ob);
        } finally {
            lease.release(stream);
        }
    }

    @Override
    public void quantExpertFfn(ExpertKey key, EncodedExpert e, Buf x, int n, Buf out) {
        QuantizedMatrix gate = GroupQuantCodec.view(e, "gate"), up = GroupQuantCodec.view(e, "up"), down = GroupQuantCodec.view(e, "down");
        if (!QuantMatrix.supports(gate) || !QuantMatrix.supports(up) || !QuantMatrix.supports(down)) {
            if (!warnedHostQuant) {
                warnedHostQuant = true;
                LOG.log(Level.WARNING, "codec " + e.params().codec() + ": the CUDA kernels read INT4/INT2 with groups of "
                        + LaunchConfig.QUANT_GROUP + "; these experts run on the host kernels (slow)");
            }
            Backend.super.quantExpertFfn(key, e, x, n, out);
            return;
        }
        CudaBuf xb = b(x), ob = b(out);
        checkLen(xb, (long) n * gate.cols(), e.params().codec() + " expert x");
        checkLen(ob, (long) n * down.rows(), e.params().codec() + " expert out");
        if (key == null) throw new IllegalArgumentException("a quantized expert needs its key (the VRAM cache holds it by key)");
        VramExpertCache cache = expertCache(VramExpertCache.slotBytesFor(e.blob().byteSize()));
        VramExpertCache.Lease lease = cache.acquireBlob(key, e.blob());
        try {
            lease.awaitOn(stream);
            DeviceBuffer blob = lease.blob();
            QuantMatrix g = QuantMatrix.view(blob.slice(e.params().part("gate").offset(), gate.byteSize()), gate);
            QuantMatrix u = QuantMatrix.view(blob.slice(e.params().part("up").offset(), up.byteSize()), up);
            QuantMatrix d = QuantMatrix.view(blob.slice(e.params().part("down").offset(), down.byteSize()), down);
            int inter = g.rows();
            ensureFfnScratch(4L * n * inter);
            CudaBuf gb = new CudaBuf(null, ffnGate.slice(0, 4L * n * inter), n * inter);
            CudaBuf ub = new CudaBuf(null, ffnUp.slice(0, 4L * n * inter), n * inter);
            matmulQuant(g, xb, n, gb);
            matmulQuant(u, xb, n, ub);
            k.swiglu(stream, gb.mem, ub.mem, gb.mem, (long) n * inter);
            matmulQuant(d, gb, n, ob);
        } finally {
            lease.release(stream);
        }
    }

    /** out (n, rows) = x (n, cols) · Ŵᵀ in launches of at most 8 tokens. */
    private void matmulQuant(QuantMatrix w, CudaBuf x, int n, CudaBuf out) {
        for (int t0 = 0; t0 < n; t0 += LaunchConfig.MAX_TOKENS) {
            int m = Math.min(LaunchConfig.MAX_TOKENS, n - t0);
            k.matmulQuant(stream, w, null, w.rows(), x.at(t0 * w.cols(), m * w.cols()), out.at(t0 * w.rows(), m * w.rows()), m, false);
        }
    }

    private void ensureFfnScratch(long bytes) {
        if (ffnGate == null || ffnGate.byteSize() < bytes) {
            stream.synchronize();
            if (ffnGate != null) {
                ffnGate.close();
                ffnUp.close();
            }
            long size = DevicePool.sizeClass(bytes);
            ffnGate = ctx.alloc(size, "ffn-gate");
            ffnUp = ctx.alloc(size, "ffn-up");
        }
    }

    /** out (n, hidden) = down · (SiLU(gate · x) ⊙ (up · x)), scratch reused across calls (stream-ordered). */
    private void ffn(DeviceMatrix gate, DeviceMatrix up, DeviceMatrix down, CudaBuf x, int n, CudaBuf out) {
        int inter = gate.rows();
        long bytes = 4L * n * inter;
        ensureFfnScratch(bytes);
        CudaBuf g = new CudaBuf(null, ffnGate.slice(0, bytes), n * inter);
        CudaBuf u = new CudaBuf(null, ffnUp.slice(0, bytes), n * inter);
        matmul(gate, x, n, g);
        matmul(up, x, n, u);
        k.swiglu(stream, g.mem, u.mem, g.mem, (long) n * inter);
        matmul(down, g, n, out);
    }

    private VramExpertCache expertCache(ExpertWeights w) {
        return expertCache(VramExpertCache.slotBytesFor(w));
    }

    private VramExpertCache expertCache(long slot) {
        if (experts != null && experts.slotBytes() >= slot) return experts;
        if (experts != null) {
            // An expert larger than the slots (models have one expert size; tests mix them): rebuild.
            LOG.log(Level.INFO, "VRAM expert cache: rebuilding for " + slot + "-byte experts (slots were " + experts.slotBytes() + ")");
            experts.close();
            experts = null;
        }
        long budget = expertBudget(slot);
        int maxSlots = Integer.getInteger("strata.cuda.maxExpertSlots", 1024);
        experts = new VramExpertCache(ctx, budget, slot, maxSlots, copyStream);
        LOG.log(Level.INFO, "VRAM expert cache: " + experts.slotCount() + " slots of " + (experts.slotBytes() >> 10) + " KiB ("
                + (experts.deviceBytes() >> 20) + " MiB of a " + (budget >> 20) + " MiB budget)");
        return experts;
    }

    /** Bytes the expert cache may take now (see the class comment). */
    private long expertBudget(long slot) {
        if (vramBudget < 0) return Long.getLong("strata.cuda.expertBudget", (long) (ctx.memoryInfo()[0] * 0.4));
        long others = ctx.allocatedBytes() - baseline - kvAllocated;  // dense weights, activations, scratch
        long left = vramBudget - others - kvReserve - SCRATCH_RESERVE;
        if (left < VramExpertCache.slotBytesFor(slot)) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "VRAM budget of %.2f GiB too small: dense weights and buffers take %.2f GiB, the KV cache at full context"
                            + " %.2f GiB, scratch %.2f GiB, leaving %.2f GiB for experts, less than one expert (%.1f MiB); raise"
                            + " --fast-budget or lower --context", vramBudget / GIB, others / GIB, kvReserve / GIB,
                    SCRATCH_RESERVE / GIB, Math.max(0, left) / GIB, slot / (double) (1 << 20)));
        }
        return left;
    }

    private static final double GIB = 1024.0 * 1024 * 1024;

    /**
     * Makes {@code bytes} the hard VRAM budget of this backend (dense weights, KV caches at full
     * capacity, scratch and the expert cache together). Call before the first expert runs.
     */
    public void vramBudget(long bytes) {
        if (experts != null) throw new IllegalStateException("the VRAM expert cache is already sized");
        if (bytes <= 0) throw new IllegalArgumentException("VRAM budget must be positive, found " + bytes);
        vramBudget = bytes;
    }

    /** Device bytes this backend holds now, and the most it held at once (the context's peak since this backend was made). */
    public long[] vramUsage() {
        return new long[] {ctx.allocatedBytes() - baseline, ctx.peakAllocatedBytes() - baseline};
    }

    /** Bytes of the VRAM expert cache (0 before the first expert). */
    public long expertCacheBytes() {
        return experts == null ? 0 : experts.deviceBytes();
    }

    /** Bytes copied host-to-device into the VRAM expert cache so far. */
    public long expertBytesCopied() {
        return experts == null ? 0 : experts.bytesCopied();
    }

    /**
     * Measured pinned host-to-device bandwidth (bytes/s): median of {@code reps} copies of
     * {@code bytes} from a pinned buffer, timed with events on the copy stream.
     */
    public double measurePinnedHostToDevice(long bytes, int reps) {
        try (PinnedBuffer h = ctx.allocPinned(bytes); DeviceBuffer d = ctx.alloc(bytes, "h2d-bandwidth");
             io.strata.kernels.cuda.CudaEvent a = ctx.newEvent(true); io.strata.kernels.cuda.CudaEvent z = ctx.newEvent(true)) {
            h.segment().fill((byte) 1);
            d.copyFromHostAsync(h.segment(), 0, copyStream);  // warm-up
            double[] ms = new double[reps];
            for (int i = 0; i < reps; i++) {
                a.record(copyStream);
                d.copyFromHostAsync(h.segment(), 0, copyStream);
                z.record(copyStream);
                z.synchronize();
                ms[i] = z.elapsedMillisSince(a);
            }
            java.util.Arrays.sort(ms);
            return bytes / (ms[reps / 2] / 1e3);
        }
    }

    /** The CUDA context (for pinned host allocations that must share it). */
    public io.strata.kernels.cuda.CudaContext context() {
        return ctx;
    }

    /** Hits and misses of the VRAM expert cache ({0, 0} before the first expert). */
    public long[] expertCacheStats() {
        return experts == null ? new long[2] : new long[] {experts.hits(), experts.misses()};
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        stream.synchronize();
        if (experts != null) experts.close();
        for (Resident r : residentFfns.values()) {
            r.gate().data().close();
            r.up().data().close();
            r.down().data().close();
        }
        residentFfns.clear();
        if (ffnGate != null) {
            ffnGate.close();
            ffnUp.close();
        }
        if (ints != null) ints.close();
        if (staging != null) staging.close();
        pool.close();
        copyStream.close();
        stream.close();
    }
}
