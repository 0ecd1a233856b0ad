// The CUDA backend: every Backend op on our own kernels (kernels-cuda), dense weights uploaded once
// to VRAM, routed experts computed from the VRAM copies the expert store placed (VramFastTier).
package io.strata.engine.backend.cuda;

import io.strata.compression.DType;
import io.strata.compression.Matrix;
import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.PartLayout;
import io.strata.compression.codec.GroupQuantCodec;
import io.strata.compression.quant.QuantizedMatrix;
import io.strata.engine.backend.Backend;
import io.strata.engine.backend.Buf;
import io.strata.engine.backend.ClampedGlu;
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
import io.strata.kernels.cuda.VramFastTier;
import io.strata.engine.backend.cpu.CpuBackend;
import io.strata.tiering.ExpertHandle;
import io.strata.tiering.ExpertLayout;
import io.strata.tiering.ExpertWeights;
import io.strata.tiering.fast.FastSlot;
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
 * <p>This backend computes; it keeps no expert cache. The expert store owns VRAM residency through the
 * {@link VramFastTier} this backend makes for it ({@link #newFastTier}): with {@link #vramBudget(long)} (the CLI's
 * {@code --fast-budget}) the whole backend stays within that many bytes, so the expert slots get what the dense
 * weights (uploaded once, resident), the KV caches at full context and {@link #SCRATCH_RESERVE} leave; every later
 * device allocation (activations, KV growth, scratch) is checked against the budget and refused past it.
 *
 * <p>{@link #expertFfn} dispatches on the handle's layout: a dense or INT4/INT2 (groups of 64) expert with a VRAM
 * copy runs on our kernels from that copy, and so does a FloE expert (its rows loaded as the device selects them);
 * one without a VRAM copy (the store served it from host memory), or in a layout without device kernels (INT8/INT3),
 * runs on the host kernels: logged once per layout.
 */
public final class CudaBackend implements Backend {
    private static final System.Logger LOG = System.getLogger("strata.cuda");

    private final CudaContext ctx;
    private final CudaKernels k;
    private final CudaStream stream;       // all compute and activation copies
    private final CudaStream copyStream;   // expert weight uploads
    private final DevicePool pool;
    private final Map<ExpertWeights, Resident> residentFfns = new IdentityHashMap<>();
    private final CpuBackend host = new CpuBackend();  // the host path of experts without a VRAM copy
    private final java.util.Set<String> warnedHost = new java.util.HashSet<>();
    private VramFastTier vram;             // the store's fast tier, made by newFastTier
    private long activationReads, activationWrites;
    private DeviceBuffer floeV, floeH, floeSel, floeIdx, floeCount; // (I) f32, (I) f32, (I) f32, (I) int32, (1) int32
    private PinnedBuffer staging;          // host side of write/read and of per-call int arrays
    private DeviceBuffer ints;             // (capacity) int32 device scratch for ids and positions
    private DeviceBuffer ffnGate, ffnUp;   // (n·inter) f32 scratch of expertFfn
    private boolean closed;
    private final long baseline;           // context bytes allocated before this backend
    private long vramBudget = -1;          // whole-backend VRAM budget, or -1
    private long kvReserve, kvAllocated;   // KV caches: bytes at full capacity, bytes allocated
    /** VRAM kept free for activations and scratch when the expert cache is sized from the total budget. */
    public static final long SCRATCH_RESERVE = 128L << 20;

    private record Resident(DeviceMatrix gate, DeviceMatrix up, DeviceMatrix down) {}

    /** A dense weight in VRAM; {@code matrix} is its host source, or null for one expanded from quantized codes. */
    record CudaWeight(Matrix matrix, DeviceMatrix device) implements Weight {
        @Override
        public int rows() {
            return device.rows();
        }

        @Override
        public int cols() {
            return device.cols();
        }

        @Override
        public String name() {
            return device.name();
        }

        @Override
        public long byteSize() {
            return device.byteSize();
        }
    }

    record CudaKv(DeviceBuffer[] k, DeviceBuffer[] v, int capacity, int kvHeads, int headDim) implements KvCache {
        @Override
        public int layers() {
            return k.length;
        }

        @Override
        public long bytes() {
            long b = 0;
            for (int l = 0; l < k.length; l++) {
                if (k[l] != null) b += k[l].byteSize();
                if (v[l] != null) b += v[l].byteSize();
            }
            return b;
        }
    }


    private CudaBackend(CudaContext ctx) {
        this.ctx = ctx;
        this.k = ctx.kernels();
        this.stream = ctx.newStream();
        this.copyStream = ctx.newStream();
        this.pool = new DevicePool(ctx, this::checkBudget);
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
    public void zero(Buf x, int len) {
        if (len > 0) b(x).at(0, len).zeroAsync(stream);
    }

    @Override
    public void free(Buf x) {
        stream.synchronize();  // no queued kernel may still use it
        pool.free(b(x));
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
            staging = ctx.allocPinned(Math.max(1L << 20, DevicePool.pow2(bytes)));
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
        activationWrites++;
    }

    @Override
    public void read(Buf src, float[] dst, int dstOff, int len) {
        checkLen(src, len, "read");
        if (len == 0) return;
        MemorySegment st = staging(4L * len);
        b(src).at(0, len).copyToHostAsync(0, st, stream);
        stream.synchronize();
        MemorySegment.copy(st, ValueLayout.JAVA_FLOAT, 0, dst, dstOff, len);
        activationReads++;
    }

    /**
     * Activation copies so far: {reads device → host, writes host → device} of f32 buffers ({@link #read},
     * {@link #write}). Index reads of FloE's channel selection are not activations and are not counted.
     */
    public long[] activationCopies() {
        return new long[] {activationReads, activationWrites};
    }

    /** count int32 values of src, read to the host after the work queued so far. */
    private int[] readInts(DeviceBuffer src, int count) {
        if (count == 0) return new int[0];
        MemorySegment st = staging(4L * count);
        src.slice(0, 4L * count).copyToHostAsync(0, st, stream);
        stream.synchronize();
        int[] out = new int[count];
        MemorySegment.copy(st, ValueLayout.JAVA_INT, 0, out, 0, count);
        return out;
    }

    /** Uploads int32 values to device scratch (synchronously, as write does). */
    private DeviceBuffer uploadInts(int[] values) {
        long bytes = 4L * Math.max(1, values.length);
        if (ints == null || ints.byteSize() < bytes) {
            stream.synchronize();
            if (ints != null) ints.close();
            checkBudget(DevicePool.pow2(bytes));
            ints = ctx.alloc(DevicePool.pow2(bytes), "int-scratch");
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

    /**
     * The device has no group-quantized dense kernels: the matrix is expanded to BF16 on the host (each weight
     * {@code (q − z)·s} rounded to the nearest BF16) and uploaded; the expansion is freed once the copy is done.
     */
    @Override
    public Weight weight(io.strata.compression.quant.QuantizedMatrix q) {
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            Matrix m = q.dequantizeBf16(a);
            return new CudaWeight(null, DeviceMatrix.upload(ctx, m));
        }
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

    /** Device copies of rotary frequency tables, keyed by the caller's array (one per model). */
    private final Map<float[], Buf> ropeTables = new IdentityHashMap<>();

    @Override
    public void rope(Buf x, int n, int heads, int headDim, int pos0, float[] invFreq, float scale) {
        if (invFreq.length != headDim / 2) {
            throw new IllegalArgumentException("rope: expected " + headDim / 2 + " frequencies for head_dim " + headDim + ", found " + invFreq.length);
        }
        Buf table = ropeTables.computeIfAbsent(invFreq, f -> {
            Buf d = alloc(f.length);
            write(d, f, 0, f.length);
            return d;
        });
        k.ropeTable(stream, b(x).mem, null, pos0, n, heads, headDim, b(table).mem, scale);
    }

    /** Inverse-frequency tables uploaded once per RopeFreqs (a model has one); freed with the pool. */
    private final java.util.Map<io.strata.engine.backend.RopeFreqs, Buf> ropeFreqTables = new java.util.IdentityHashMap<>();

    @Override
    public void rope(Buf x, int n, int heads, int headDim, int pos0, io.strata.engine.backend.RopeFreqs f) {
        Buf inv = ropeFreqTables.computeIfAbsent(f, r -> {
            Buf t = alloc(r.invFreq().length);
            write(t, r.invFreq(), 0, r.invFreq().length);
            return t;
        });
        k.ropeFreqs(stream, b(x).mem, b(inv).mem, pos0, n, heads, headDim, f.invFreq().length, f.attentionFactor());
    }

    /** Latents (capacity, latentDim) and rotary keys (capacity, ropeDim) per layer, in separate buffers so a store is two copies. */
    record CudaLatent(DeviceBuffer[] lat, DeviceBuffer[] pe, int capacity, int latentDim, int ropeDim)
            implements io.strata.engine.backend.LatentCache {
        @Override
        public int layers() {
            return lat.length;
        }

        @Override
        public long bytes() {
            long b = 0;
            for (int l = 0; l < lat.length; l++) {
                if (lat[l] != null) b += lat[l].byteSize();
                if (pe[l] != null) b += pe[l].byteSize();
            }
            return b;
        }
    }

    @Override
    public io.strata.engine.backend.LatentCache newLatentCache(int layers, int capacity, int latentDim, int ropeDim) {
        if (latentDim > CudaKernels.LATENT_MAX_RANK || ropeDim > CudaKernels.LATENT_MAX_ROPE) {
            throw new IllegalArgumentException("CUDA latent attention supports kv_lora_rank up to " + CudaKernels.LATENT_MAX_RANK
                    + " and qk_rope_head_dim up to " + CudaKernels.LATENT_MAX_ROPE + ", found " + latentDim + " and " + ropeDim);
        }
        if (vram == null) kvReserve += (long) layers * capacity * (latentDim + ropeDim) * 4;
        return new CudaLatent(new DeviceBuffer[layers], new DeviceBuffer[layers], capacity, latentDim, ropeDim);
    }

    private static CudaLatent latent(KvCache c) {
        if (c instanceof CudaLatent l) return l;
        throw new IllegalArgumentException("CUDA backend given a latent cache of another backend: " + c.getClass().getName());
    }

    /** Grows a buffer of arr[layer] (rows of rowBytes) to hold positions, as {@link #ensure} does for K/V. */
    private void ensureRows(DeviceBuffer[] arr, int layer, long rowBytes, int capacity, int positions, String what) {
        long have = arr[layer] == null ? 0 : arr[layer].byteSize() / rowBytes;
        if (have >= positions) return;
        long cap = vramBudget >= 0 ? capacity : Math.min(capacity, Math.max(positions, have == 0 ? 64 : 2 * have));
        checkBudget(cap * rowBytes - (arr[layer] == null ? 0 : arr[layer].byteSize()), true);
        DeviceBuffer grown = ctx.alloc(cap * rowBytes, what + "-cache-layer" + layer);
        kvAllocated += grown.byteSize() - (arr[layer] == null ? 0 : arr[layer].byteSize());
        grown.zeroAsync(stream);
        if (arr[layer] != null) {
            grown.copyFromDeviceAsync(arr[layer], 0, 0, arr[layer].byteSize(), stream);
            stream.synchronize();
            arr[layer].close();
        }
        arr[layer] = grown;
    }

    @Override
    public void latentStore(io.strata.engine.backend.LatentCache cache, int layer, int pos0, int n, Buf latent, Buf kPe) {
        CudaLatent c = latent(cache);
        if (pos0 + n > c.capacity()) {
            throw new IllegalStateException("KV cache full: positions up to " + (pos0 + n) + " requested, capacity " + c.capacity());
        }
        long lr = 4L * c.latentDim(), pr = 4L * c.ropeDim();
        ensureRows(c.lat(), layer, lr, c.capacity(), pos0 + n, "latent");
        ensureRows(c.pe(), layer, pr, c.capacity(), pos0 + n, "rope-key");
        c.lat()[layer].copyFromDeviceAsync(b(latent).mem, 0, pos0 * lr, n * lr, stream);
        c.pe()[layer].copyFromDeviceAsync(b(kPe).mem, 0, pos0 * pr, n * pr, stream);
    }

    @Override
    public void latentAttention(Buf qLat, Buf qPe, io.strata.engine.backend.LatentCache cache, int layer, int pos0, int n, int heads,
                                float scale, Buf outLat) {
        CudaLatent c = latent(cache);
        if (c.lat()[layer] == null) throw new IllegalStateException("latent attention on layer " + layer + " before any latentStore");
        k.latentAttention(stream, b(qLat).mem, b(qPe).mem, c.lat()[layer], c.pe()[layer], b(outLat).mem, n, pos0, heads,
                c.latentDim(), c.ropeDim(), scale);
    }

    @Override
    public void clamp(Buf x, int len, float lo, float hi) {
        if (len > 0) k.clamp(stream, b(x).mem, lo, hi, len);
    }

    @Override
    public KvCache newKvCache(int layers, int capacity, int kvHeads, int headDim) {
        // Before the VRAM tier is sized, each cache adds its full size to the KV reserve the tier leaves free; after,
        // the reserve the loader asked for stands, and caches beyond it must fit in what the budget has left.
        if (vram == null) kvReserve += 2L * layers * capacity * kvHeads * headDim * 4;
        return new CudaKv(new DeviceBuffer[layers], new DeviceBuffer[layers], capacity, kvHeads, headDim);
    }

    @Override
    public void free(KvCache cache) {
        stream.synchronize();  // no queued attention may still read it
        DeviceBuffer[][] parts = cache instanceof CudaLatent lc ? new DeviceBuffer[][] {lc.lat(), lc.pe()}
                : new DeviceBuffer[][] {kv(cache).k(), kv(cache).v()};
        for (DeviceBuffer[] arr : parts) {
            for (int l = 0; l < arr.length; l++) {
                if (arr[l] == null) continue;
                kvAllocated -= arr[l].byteSize();
                arr[l].close();
                arr[l] = null;
            }
        }
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
        // Under a VRAM budget the cache is allocated whole at first use (its reserve is counted anyway): growing by
        // doubling would hold the old and the new buffer at once and could pass the budget.
        long cap = vramBudget >= 0 ? c.capacity() : Math.min(c.capacity(), Math.max(positions, have == 0 ? 64 : 2 * have));
        for (DeviceBuffer[] arr : new DeviceBuffer[][] {c.k(), c.v()}) {
            checkBudget(cap * row - (arr[layer] == null ? 0 : arr[layer].byteSize()), true);
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
    public void attention(Buf q, KvCache cache, int layer, int pos0, int n, int heads, Buf out, int window, Buf sinks) {
        if (window == 0 && sinks == null) {
            attention(q, cache, layer, pos0, n, heads, out);
            return;
        }
        CudaKv c = kv(cache);
        if (c.k()[layer] == null) throw new IllegalStateException("attention on layer " + layer + " before any kvStore");
        k.attentionWindowSinks(stream, b(q).mem, c.k()[layer], c.v()[layer], b(out).mem, n, pos0, heads, c.kvHeads(), c.headDim(), window,
                sinks == null ? null : b(sinks).mem);
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
    public boolean supports(ExpertLayout layout) {
        return switch (layout) {
            case ExpertLayout.Dense d -> true;
            case ExpertLayout.GroupQuant q -> true;  // INT4/INT2 g64 on the device, others on the host kernels
            case ExpertLayout.Ggml g -> true;        // Q8_0/Q4_K/Q5_K/Q6_K on the device, other types on the host kernels
            case ExpertLayout.Fp8 f -> true;         // on the device from its VRAM copy
            case ExpertLayout.Floe f -> true;        // on the device from its VRAM copy, rows loaded as selected
            case ExpertLayout.Mxfp4 m -> true;       // on the device from its VRAM copy, blocks dequantized in the kernel
        };
    }

    /** Whether experts of {@code layout} with a VRAM copy run on the device (else on the host kernels). */
    public static boolean onDevice(ExpertLayout layout) {
        return switch (layout) {
            case ExpertLayout.Dense d -> true;
            case ExpertLayout.GroupQuant q -> (q.bits() == 4 || q.bits() == 2) && q.groupSize() == LaunchConfig.QUANT_GROUP;
            case ExpertLayout.Ggml g -> CudaKernels.supportsGgml(g.gate()) && CudaKernels.supportsGgml(g.up()) && CudaKernels.supportsGgml(g.down());
            case ExpertLayout.Fp8 f -> true;
            case ExpertLayout.Floe f -> true;   // INT2 g64 or bf16 up, bf16 gate/downT rows
            case ExpertLayout.Mxfp4 m -> true;
        };
    }

    @Override
    public void expertFfn(ExpertHandle expert, Buf x, int n, Buf out) {
        expertFfn(expert, x, n, out, null);
    }

    /** As {@link #expertFfn(ExpertHandle, Buf, int, Buf)}; with glu the gpt-oss form (biases, clamped SwiGLU). */
    @Override
    public void expertFfn(ExpertHandle expert, Buf x, int n, Buf out, ClampedGlu glu) {
        FastSlot slot = expert.fast();
        ExpertLayout layout = expert.layout();
        if (slot == null || !onDevice(layout)) {
            hostExpert(expert, x, n, out, slot == null ? "served from host memory (not in VRAM)" : "no device kernel for " + layout.name(), glu);
            return;
        }
        if (vram == null || !vram.owns(slot.addresses()[0])) {
            throw new IllegalArgumentException(expert.key() + ": its fast copy is not in this backend's VRAM tier");
        }
        CudaBuf xb = b(x), ob = b(out);
        VramFastTier.awaitOn(slot, stream);
        long[] a = slot.addresses();
        switch (layout) {
            case ExpertLayout.Dense d -> {
                ExpertWeights w = expert.weights();
                ffn(DeviceMatrix.view(vram.view(a[0], w.gate().byteSize()), w.gate()),
                        DeviceMatrix.view(vram.view(a[1], w.up().byteSize()), w.up()),
                        DeviceMatrix.view(vram.view(a[2], w.down().byteSize()), w.down()), xb, n, ob, glu);
            }
            case ExpertLayout.GroupQuant q -> {
                EncodedExpert e = expert.encoded();
                DeviceBuffer blob = vram.view(a[0], e.blob().byteSize());
                QuantMatrix g = quantPart(e, blob, "gate"), u = quantPart(e, blob, "up"), d = quantPart(e, blob, "down");
                checkLen(xb, (long) n * g.cols(), e.params().codec() + " expert x");
                checkLen(ob, (long) n * d.rows(), e.params().codec() + " expert out");
                int inter = g.rows();
                ensureFfnScratch(4L * n * inter);
                CudaBuf gb = new CudaBuf(null, ffnGate.slice(0, 4L * n * inter), n * inter);
                CudaBuf ub = new CudaBuf(null, ffnUp.slice(0, 4L * n * inter), n * inter);
                matmulQuant(g, xb, n, gb);
                matmulQuant(u, xb, n, ub);
                activate(gb, ub, n, inter, glu);
                matmulQuant(d, gb, n, ob);
                if (glu != null) addBias(ob, glu.downBias(), n, d.rows());
            }
            case ExpertLayout.Mxfp4 m -> {
                EncodedExpert e = expert.encoded();
                DeviceBuffer blob = vram.view(a[0], e.blob().byteSize());
                var p = e.params();
                int hd = p.hidden(), inter = p.intermediate();
                checkLen(xb, (long) n * hd, "mxfp4 expert x");
                checkLen(ob, (long) n * hd, "mxfp4 expert out");
                ensureFfnScratch(4L * n * inter);
                CudaBuf gb = new CudaBuf(null, ffnGate.slice(0, 4L * n * inter), n * inter);
                CudaBuf ub = new CudaBuf(null, ffnUp.slice(0, 4L * n * inter), n * inter);
                matmulMxfp4(blob, p.part("gate"), xb, n, gb);
                matmulMxfp4(blob, p.part("up"), xb, n, ub);
                activate(gb, ub, n, inter, glu);
                matmulMxfp4(blob, p.part("down"), gb, n, ob);
                if (glu != null) addBias(ob, glu.downBias(), n, hd);
            }
            case ExpertLayout.Floe f -> {
                if (glu != null) throw new UnsupportedOperationException("FloE experts (" + f.name() + ") assume the plain SwiGLU; gpt-oss experts cannot be FloE");
                floe(expert, slot, xb, n, ob);
            }
            case ExpertLayout.Ggml g -> blockExpert(expert.encoded(), a[0], xb, n, ob, true, glu);
            case ExpertLayout.Fp8 f -> blockExpert(expert.encoded(), a[0], xb, n, ob, false, glu);
        }
    }

    /**
     * FloE on the device, token by token: v = x·W_upᵀ on the resident up; the channels with |v| &gt; t selected on the
     * device ({@code selectAbove}); only their indices come back to the host, which asks the expert's row loader
     * for their gate/downT rows (partial loads into the host copy and the VRAM copy, as on the CPU path); then
     * h = SiLU(W_gate[sel]·x) ⊙ v[sel] and y = Σ h · W_downT[sel] by the gathered kernels. No activation leaves the
     * device.
     */
    private void floe(ExpertHandle expert, FastSlot slot, CudaBuf x, int n, CudaBuf out) {
        EncodedExpert e = expert.encoded();
        var p = e.params();
        int hdim = p.hidden(), inter = p.intermediate();
        checkLen(x, (long) n * hdim, p.codec() + " expert x");
        checkLen(out, (long) n * hdim, p.codec() + " expert out");
        DeviceBuffer blob = vram.view(slot.addresses()[0], e.blob().byteSize());
        io.strata.compression.Matrix gateH = io.strata.compression.codec.FloeCodec.bf16View(e, "gate");
        io.strata.compression.Matrix downTH = io.strata.compression.codec.FloeCodec.bf16View(e, "downT");
        DeviceMatrix gate = DeviceMatrix.view(blob.slice(p.part("gate").offset(), gateH.byteSize()), gateH);
        DeviceMatrix downT = DeviceMatrix.view(blob.slice(p.part("downT").offset(), downTH.byteSize()), downTH);
        boolean bf16Up = p.part("up").format().equals("bf16");
        DeviceMatrix upD = null;
        QuantMatrix upQ = null;
        if (bf16Up) {
            io.strata.compression.Matrix upH = io.strata.compression.codec.FloeCodec.bf16View(e, "up");
            upD = DeviceMatrix.view(blob.slice(p.part("up").offset(), upH.byteSize()), upH);
        } else {
            QuantizedMatrix upH = io.strata.compression.codec.FloeCodec.upView(e);
            if (!QuantMatrix.supports(upH)) {
                hostExpert(expert, x, n, out, "with an up projection the device kernels do not read");
                return;
            }
            upQ = QuantMatrix.view(blob.slice(p.part("up").offset(), upH.byteSize()), upH);
        }
        ensureFloeScratch(inter);
        var rows = expert.rows();
        float t = rows.threshold();
        boolean[] need = new boolean[inter];
        for (int tok = 0; tok < n; tok++) {
            DeviceBuffer xt = x.at(tok * hdim, hdim), yt = out.at(tok * hdim, hdim);
            if (upQ != null) k.matmulQuant(stream, upQ, null, inter, xt, floeV, 1, false);
            else k.matmul(stream, upD, xt, floeV, 1, false);
            k.selectAbove(stream, floeV, inter, t, floeIdx, floeCount);
            int m = readInts(floeCount, 1)[0];
            int[] sel = readInts(floeIdx, m);
            rows.activation(m, inter);
            java.util.Arrays.fill(need, false);
            for (int i : sel) need[i] = true;
            rows.ensureRows(need);                 // partial load: host copy, and the VRAM copy through the store
            VramFastTier.awaitOn(slot, stream);    // the rows' copies land before the kernels read them
            yt.zeroAsync(stream);
            if (m == 0) continue;
            k.matmulGathered(stream, gate, floeIdx, m, xt, floeH, 1, false);
            k.gather(stream, floeV, floeIdx, m, floeSel);
            k.swiglu(stream, floeH, floeSel, floeH, m);
            k.downTransposedAccumulate(stream, downT, floeH, floeIdx, m, yt);
        }
    }

    private void ensureFloeScratch(int inter) {
        long bytes = 4L * inter;
        if (floeV != null && floeV.byteSize() >= bytes) return;
        stream.synchronize();
        for (DeviceBuffer d : new DeviceBuffer[] {floeV, floeH, floeSel, floeIdx, floeCount}) if (d != null) d.close();
        long size = DevicePool.pow2(bytes);
        checkBudget(4 * size + 256);
        floeV = ctx.alloc(size, "floe-v");
        floeH = ctx.alloc(size, "floe-h");
        floeSel = ctx.alloc(size, "floe-sel");
        floeIdx = ctx.alloc(size, "floe-idx");
        floeCount = ctx.alloc(256, "floe-count");
    }

    private static QuantMatrix quantPart(EncodedExpert e, DeviceBuffer blob, String name) {
        QuantizedMatrix host = GroupQuantCodec.view(e, name);
        PartLayout p = e.params().part(name);
        return QuantMatrix.view(blob.slice(p.offset(), host.byteSize()), host);
    }

    /** g (n·inter) ← SiLU(g) ⊙ u, or gpt-oss's biased, clamped form with glu. */
    private void activate(CudaBuf g, CudaBuf u, int n, int inter, ClampedGlu glu) {
        if (glu == null) k.swiglu(stream, g.mem, u.mem, g.mem, (long) n * inter);
        else k.clampedGlu(stream, g.mem, u.mem, b(glu.gateBias()).mem, b(glu.upBias()).mem, inter, glu.alpha(), glu.limit(), (long) n * inter);
    }

    private void hostExpert(ExpertHandle expert, Buf x, int n, Buf out, String why) {
        hostExpert(expert, x, n, out, why, null);
    }

    /** The expert on the host kernels: x read back, computed from its host bytes, the result written to out. */
    private void hostExpert(ExpertHandle expert, Buf x, int n, Buf out, String why, ClampedGlu glu) {
        if (warnedHost.add(expert.layout().name() + why)) {
            LOG.log(Level.INFO, expert.layout().name() + " experts " + why + " run on the host kernels (" + host.name() + ")");
        }
        int h = hostHidden(expert);
        float[] xs = new float[n * h];
        read(x, xs, 0, n * h);
        Buf hx = host.alloc(n * h), hy = host.alloc(n * h);
        host.write(hx, xs, 0, n * h);
        if (glu == null) {
            host.expertFfn(expert, hx, n, hy);
        } else { // the biases to the host too
            int inter = glu.gateBias().length();
            host.expertFfn(expert, hx, n, hy, new ClampedGlu(hostCopy(glu.gateBias(), inter), hostCopy(glu.upBias(), inter),
                    hostCopy(glu.downBias(), h), glu.alpha(), glu.limit()));
        }
        float[] ys = new float[n * h];
        host.read(hy, ys, 0, n * h);
        write(out, ys, 0, n * h);
    }

    private Buf hostCopy(Buf deviceBuf, int len) {
        float[] v = new float[len];
        read(deviceBuf, v, 0, len);
        Buf hb = host.alloc(len);
        host.write(hb, v, 0, len);
        return hb;
    }

    private static int hostHidden(ExpertHandle e) {
        return e.layout() instanceof ExpertLayout.Dense ? e.weights().gate().cols() : e.encoded().params().hidden();
    }

    @Override
    public void denseFfn(ExpertWeights w, Buf x, int n, Buf out) {
        Resident r = residentFfns.computeIfAbsent(w, ww -> new Resident(
                DeviceMatrix.upload(ctx, ww.gate()), DeviceMatrix.upload(ctx, ww.up()), DeviceMatrix.upload(ctx, ww.down())));
        ffn(r.gate(), r.up(), r.down(), b(x), n, b(out));
    }

    /** out (n, rows) = x (n, cols) · Ŵᵀ for an MXFP4 part of blob, in launches of at most 8 tokens. */
    private void matmulMxfp4(DeviceBuffer blob, io.strata.compression.codec.PartLayout part, CudaBuf x, int n, CudaBuf out) {
        DeviceBuffer w = blob.slice(part.offset(), part.bytes());
        int rows = part.rows(), cols = part.cols();
        for (int t0 = 0; t0 < n; t0 += LaunchConfig.MAX_TOKENS) {
            int m = Math.min(LaunchConfig.MAX_TOKENS, n - t0);
            k.matmulMxfp4(stream, w, rows, cols, x.at(t0 * cols, m * cols), out.at(t0 * rows, m * rows), m);
        }
    }

    /** out (n, rows) = x (n, cols) · Ŵᵀ in launches of at most 8 tokens. */
    /**
     * A ggml-block or FP8 expert from its blob's VRAM copy at {@code addr}: gate and up into the FFN scratch, SwiGLU,
     * down into out; every projection by the fused kernel of its part's layout, tokens in chunks of 8.
     */
    private void blockExpert(EncodedExpert e, long addr, CudaBuf x, int n, CudaBuf out, boolean ggml, ClampedGlu glu) {
        var p = e.params();
        DeviceBuffer blob = vram.view(addr, e.blob().byteSize());
        int hdim = p.hidden(), inter = p.intermediate();
        checkLen(x, (long) n * hdim, p.codec() + " expert x");
        checkLen(out, (long) n * hdim, p.codec() + " expert out");
        ensureFfnScratch(4L * n * inter);
        CudaBuf gb = new CudaBuf(null, ffnGate.slice(0, 4L * n * inter), n * inter);
        CudaBuf ub = new CudaBuf(null, ffnUp.slice(0, 4L * n * inter), n * inter);
        blockMatmul(e, blob, "gate", ggml, x, n, gb);
        blockMatmul(e, blob, "up", ggml, x, n, ub);
        activate(gb, ub, n, inter, glu);
        blockMatmul(e, blob, "down", ggml, gb, n, out);
        if (glu != null) addBias(out, glu.downBias(), n, hdim);
    }

    private void blockMatmul(EncodedExpert e, DeviceBuffer blob, String part, boolean ggml, CudaBuf x, int n, CudaBuf out) {
        var pl = e.params().part(part);
        int rows = pl.rows(), cols = pl.cols();
        DeviceBuffer w = blob.slice(pl.offset(), pl.bytes());
        var fp8 = ggml ? null : io.strata.compression.codec.Fp8Codec.view(e, part);
        DeviceBuffer scales = ggml ? null : blob.slice(e.params().part(part + "_scale").offset(), e.params().part(part + "_scale").bytes());
        var type = ggml ? io.strata.compression.codec.GgmlCodec.view(e, part).type() : null;
        for (int t0 = 0; t0 < n; t0 += LaunchConfig.MAX_TOKENS) {
            int m = Math.min(LaunchConfig.MAX_TOKENS, n - t0);
            DeviceBuffer xs = x.at(t0 * cols, m * cols), os = out.at(t0 * rows, m * rows);
            if (ggml) k.matmulGgml(stream, w, type, rows, cols, xs, os, m, false);
            else k.matmulFp8(stream, w, scales, rows, cols, fp8.br(), fp8.bc(), xs, os, m, false);
        }
    }

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
            long size = DevicePool.pow2(bytes);
            checkBudget(2 * size);
            ffnGate = ctx.alloc(size, "ffn-gate");
            ffnUp = ctx.alloc(size, "ffn-up");
        }
    }

    /** out (n, hidden) = down · (SiLU(gate · x) ⊙ (up · x)), scratch reused across calls (stream-ordered). */
    private void ffn(DeviceMatrix gate, DeviceMatrix up, DeviceMatrix down, CudaBuf x, int n, CudaBuf out) {
        ffn(gate, up, down, x, n, out, null);
    }

    /** As above; with glu the gpt-oss form (biases, clamped SwiGLU). */
    private void ffn(DeviceMatrix gate, DeviceMatrix up, DeviceMatrix down, CudaBuf x, int n, CudaBuf out, ClampedGlu glu) {
        int inter = gate.rows();
        long bytes = 4L * n * inter;
        ensureFfnScratch(bytes);
        CudaBuf g = new CudaBuf(null, ffnGate.slice(0, bytes), n * inter);
        CudaBuf u = new CudaBuf(null, ffnUp.slice(0, bytes), n * inter);
        matmul(gate, x, n, g);
        matmul(up, x, n, u);
        activate(g, u, n, inter, glu);
        matmul(down, g, n, out);
        if (glu != null) addBias(out, glu.downBias(), n, down.rows());
    }

    /**
     * The VRAM fast tier for the expert store: slots of {@code slotBytes} in what the budget leaves after the dense
     * weights already uploaded, {@code kvBytes} for the KV caches at full context and {@link #SCRATCH_RESERVE}; without
     * a budget, {@code -Dstrata.cuda.expertBudget=BYTES}, default 40 % of the device memory now free. At most
     * {@code -Dstrata.cuda.maxExpertSlots} (default 1024) slots. One per backend.
     */
    public VramFastTier newFastTier(long slotBytes, long kvBytes) {
        if (vram != null) throw new IllegalStateException("this backend's VRAM fast tier exists already");
        long slot = VramFastTier.slotBytesFor(slotBytes);
        long budget;
        if (vramBudget < 0) {
            budget = Long.getLong("strata.cuda.expertBudget", (long) (ctx.memoryInfo()[0] * 0.4));
        } else {
            long others = ctx.allocatedBytes() - baseline;  // dense weights and buffers so far
            kvReserve = Math.max(kvReserve, kvBytes);
            budget = vramBudget - others - kvReserve - SCRATCH_RESERVE;
            if (budget < slot) {
                throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                        "VRAM budget of %.2f GiB too small: dense weights and buffers take %.2f GiB, the KV cache at full context"
                                + " %.2f GiB, scratch %.2f GiB, leaving %.2f GiB for experts, less than one expert (%.1f MiB); raise"
                                + " --fast-budget or lower --context", vramBudget / GIB, others / GIB, kvReserve / GIB,
                        SCRATCH_RESERVE / GIB, Math.max(0, budget) / GIB, slot / (double) (1 << 20)));
            }
        }
        int maxSlots = Integer.getInteger("strata.cuda.maxExpertSlots", 1024);
        vram = new VramFastTier(ctx, budget, slot, maxSlots, copyStream, stream);
        LOG.log(Level.INFO, "VRAM fast tier: " + vram.describe());
        return vram;
    }

    /** Refuses a device allocation of {@code bytes} that would take the backend past its VRAM budget. */
    private void checkBudget(long bytes) {
        checkBudget(bytes, false);
    }

    /** As above; a KV cache allocation ({@code kv}) draws on the KV reserve first. */
    private void checkBudget(long bytes, boolean kv) {
        if (vramBudget < 0) return;
        long used = ctx.allocatedBytes() - baseline;
        long reserved = vram == null ? 0 : Math.max(0, kvReserve - kvAllocated);  // KV still to come into its reserve
        if (kv) reserved = Math.max(0, reserved - bytes);
        if (used + reserved + bytes > vramBudget) {
            throw new IllegalStateException(String.format(java.util.Locale.ROOT,
                    "VRAM budget of %.3f GiB exceeded: %.3f GiB in use, %.3f GiB reserved for the KV cache, %d more bytes asked",
                    vramBudget / GIB, used / GIB, reserved / GIB, bytes));
        }
    }

    private static final double GIB = 1024.0 * 1024 * 1024;

    /**
     * Makes {@code bytes} the hard VRAM budget of this backend (dense weights, KV caches at full
     * capacity, scratch and the expert cache together). Call before the first expert runs.
     */
    public void vramBudget(long bytes) {
        if (vram != null) throw new IllegalStateException("the VRAM fast tier is already sized");
        if (bytes <= 0) throw new IllegalArgumentException("VRAM budget must be positive, found " + bytes);
        vramBudget = bytes;
    }

    /** Device bytes this backend holds now, and the most it held at once (the context's peak since this backend was made). */
    public long[] vramUsage() {
        return new long[] {ctx.allocatedBytes() - baseline, ctx.peakAllocatedBytes() - baseline};
    }

    /** Bytes of the VRAM fast tier's slots (0 before {@link #newFastTier}). */
    public long expertCacheBytes() {
        return vram == null ? 0 : vram.deviceBytes();
    }

    /** Bytes copied host-to-device into the VRAM fast tier so far. */
    public long expertBytesCopied() {
        return vram == null ? 0 : vram.bytesCopied();
    }

    /** The VRAM fast tier, or null before {@link #newFastTier}. */
    public VramFastTier fastTier() {
        return vram;
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

    /** Measured device-to-host bandwidth into pinned memory (bytes/s): median of {@code reps} timed copies. */
    public double measurePinnedDeviceToHost(long bytes, int reps) {
        try (PinnedBuffer h = ctx.allocPinned(bytes); DeviceBuffer d = ctx.alloc(bytes, "d2h-bandwidth")) {
            d.copyFromHostAsync(h.segment(), 0, copyStream);
            copyStream.synchronize();
            double[] s = new double[reps];
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                d.copyToHost(0, h.segment());
                s[i] = (System.nanoTime() - t0) / 1e9;
            }
            java.util.Arrays.sort(s);
            return bytes / s[reps / 2];
        }
    }

    @Override
    public Backend host() {
        return host;
    }

    /** The device's name. */
    public String deviceName() {
        return ctx.deviceName();
    }

    /** The CUDA context (for pinned host allocations that must share it). */
    public io.strata.kernels.cuda.CudaContext context() {
        return ctx;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        stream.synchronize();
        // the VRAM fast tier belongs to the store, which closes it
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
        for (DeviceBuffer d : new DeviceBuffer[] {floeV, floeH, floeSel, floeIdx, floeCount}) if (d != null) d.close();
        if (staging != null) staging.close();
        pool.close();
        copyStream.close();
        stream.close();
    }
}
