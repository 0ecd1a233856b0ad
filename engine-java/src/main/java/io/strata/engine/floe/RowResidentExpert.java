// One FloE expert whose gate/down rows move from a lower tier to fast memory channel by channel, on demand.
package io.strata.engine.floe;

import io.strata.compression.Matrix;
import io.strata.compression.codec.CodecParams;
import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.FloeCodec;
import io.strata.compression.codec.PartLayout;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.kernel.QuantKernels;
import io.strata.compression.quant.QuantizedMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A {@link FloeCodec} expert split across two tiers:
 * <pre>
 *   lower  the whole blob (host memory, or a region of a mapped file)          never read by the kernels
 *   fast   a blob of the same layout: up copied once at construction (resident),
 *          gate row i and downT row i (2H bytes each) copied when channel i is first active
 * </pre>
 * The sparse forward for n tokens ({@code x (n, H) → y (n, H)}):
 * <pre>
 *   v    = x·W_upᵀ                       (n, I)  fused INT2 matmul on the resident up
 *   mask = |v| &gt; t                               per token; the union over tokens is made resident
 *   h_k  = SiLU(W_gate[i_k,:]·x_t) · v_t[i_k]    gathered gate rows
 *   y_t  = Σ_k h_k · W_downT[i_k,:]              gathered transposed down rows
 * </pre>
 * Only missing masked channels are copied; runs of adjacent missing channels become one copy of
 * the gate rows and one of the downT rows (each part is row-contiguous, so a run is one range).
 * A channel once copied stays until {@link #evict()}; a later mask copies only what it adds.
 */
public final class RowResidentExpert implements io.strata.compression.floe.PartialRows {
    private final String name;            // "layer L expert E", for errors
    private final EncodedExpert lower;    // lower-tier blob
    private final EncodedExpert fast;     // fast-tier blob, same layout; gate/downT rows valid where resident[i]
    private final PartLayout gatePart, downPart;
    private final long rowBytes;          // 2H: one bf16 row of gate or downT
    private final QuantizedMatrix upQ;    // [I, H] view on fast, or null for a bf16 up
    private final Matrix upDense;         // [I, H] bf16 view on fast, or null
    private final Matrix gate, downT;     // [I, H] bf16 views on fast
    private final boolean[] resident;     // (I) channel rows present in fast
    private final QuantKernels kernels;
    private final TransferStats stats;
    private final int hidden, intermediate;
    private volatile float threshold;     // t, units of v
    private int residentRows;
    private volatile RowSink sink;        // told of every range copied into fast, or null

    /** Told of each byte range copied into the fast blob (offset within the blob, the bytes now there). */
    public interface RowSink {
        void copied(long offset, MemorySegment bytes);
    }

    /** Registers the one sink of row copies (a VRAM copy of this expert mirrors them), or null. */
    public void sink(RowSink s) {
        this.sink = s;
    }

    /**
     * @param lower   a floe / floe-bf16up / floe-intB blob in the lower tier
     * @param arena   where the fast copy is allocated (shared or global: kernels read it from pool threads)
     * @param preload copy every row now (a fully resident expert; no on-demand traffic afterwards)
     */
    public RowResidentExpert(String name, EncodedExpert lower, float threshold, QuantKernels kernels, TransferStats stats,
                             Arena arena, boolean preload) {
        CodecParams p = lower.params();
        if (!p.codec().startsWith(FloeCodec.NAME)) {
            throw new IllegalArgumentException(name + ": expected a floe expert, found codec '" + p.codec() + "'");
        }
        this.name = name;
        this.lower = lower;
        this.kernels = kernels;
        this.stats = stats;
        this.threshold = threshold;
        this.hidden = p.hidden();
        this.intermediate = p.intermediate();
        this.gatePart = p.part("gate");
        this.downPart = p.part("downT");
        this.rowBytes = gatePart.rowBytes();
        if (downPart.rowBytes() != rowBytes || gatePart.rows() != intermediate || downPart.rows() != intermediate) {
            throw new IllegalArgumentException(name + ": gate and downT must both be [I=" + intermediate + ", H=" + hidden
                    + "] bf16, found " + gatePart + " and " + downPart);
        }
        fast = new EncodedExpert(p, arena.allocate(p.totalBytes(), 4096));
        PartLayout up = p.part("up");
        MemorySegment.copy(lower.blob(), up.offset(), fast.blob(), up.offset(), up.bytes()); // the resident part
        boolean bf16Up = up.format().equals("bf16");
        upQ = bf16Up ? null : FloeCodec.upView(fast);
        upDense = bf16Up ? FloeCodec.bf16View(fast, "up") : null;
        gate = FloeCodec.bf16View(fast, "gate");
        downT = FloeCodec.bf16View(fast, "downT");
        resident = new boolean[intermediate];
        if (preload) {
            boolean[] all = new boolean[intermediate];
            Arrays.fill(all, true);
            copyMissing(all);
        }
    }

    /** Bytes of the resident up projection (fast tier, never moved per activation). */
    public long residentUpBytes() {
        return lower.params().part("up").bytes();
    }

    /** Bytes of one channel's gate row plus its downT row, {@code 4H}. */
    public long channelBytes() {
        return 2 * rowBytes;
    }

    public int hidden() {
        return hidden;
    }

    public int intermediate() {
        return intermediate;
    }

    @Override
    public float threshold() {
        return threshold;
    }

    @Override
    public synchronized long ensureRows(boolean[] need) {
        long[] br = copyMissing(need);
        stats.moved(br[0], br[1], br[2]);
        return br[0];
    }

    @Override
    public void activation(int active, int channels) {
        stats.activation(active, channels);
    }

    public void setThreshold(float t) {
        if (!(t >= 0)) throw new IllegalArgumentException(name + ": threshold must be ≥ 0, found " + t);
        threshold = t;
    }

    /** The fast-tier blob (rows not yet resident hold zeros). */
    public EncodedExpert fast() {
        return fast;
    }

    /** The resident quantized up projection, or null when up is bf16. */
    public QuantizedMatrix upQuantized() {
        return upQ;
    }

    public synchronized boolean isResident(int channel) {
        return resident[channel];
    }

    public synchronized int residentRows() {
        return residentRows;
    }

    /** Drops every gate/downT row from the fast tier (the resident up stays). */
    public synchronized void evict() {
        Arrays.fill(resident, false);
        residentRows = 0;
    }

    /**
     * Makes the listed channels resident, copying only those missing. channels: any order,
     * first count used. Returns the bytes copied.
     */
    public synchronized long ensureRows(int[] channels, int count) {
        boolean[] need = new boolean[intermediate];
        for (int k = 0; k < count; k++) need[channels[k]] = true;
        long[] br = copyMissing(need);
        stats.moved(br[0], br[1], br[2]);
        return br[0];
    }

    /** Like {@link #ensureRows} for a predicted mask; counted as prefetch traffic. need: (I). */
    public synchronized long prefetch(boolean[] need) {
        long[] br = copyMissing(need);
        stats.prefetched(br[0], br[1]);
        return br[0];
    }

    /** Copies gate/downT rows of channels with need[i] and not resident; returns {bytes, copies, rows}. */
    private long[] copyMissing(boolean[] need) {
        long bytes = 0, copies = 0, rows = 0;
        for (int i = 0; i < intermediate; ) {
            if (!need[i] || resident[i]) {
                i++;
                continue;
            }
            int j = i; // run [i, j) of adjacent missing channels: one contiguous range in each part
            while (j < intermediate && need[j] && !resident[j]) j++;
            long len = (j - i) * rowBytes;
            long g = gatePart.rowOffset(i), d = downPart.rowOffset(i);
            MemorySegment.copy(lower.blob(), g, fast.blob(), g, len);
            MemorySegment.copy(lower.blob(), d, fast.blob(), d, len);
            RowSink sk = sink;
            if (sk != null) {
                sk.copied(g, fast.blob().asSlice(g, len));
                sk.copied(d, fast.blob().asSlice(d, len));
            }
            for (int k = i; k < j; k++) resident[k] = true;
            residentRows += j - i;
            bytes += 2 * len;
            copies += 2;
            rows += j - i;
            i = j;
        }
        return new long[] {bytes, copies, rows};
    }

    /** {@code v (n, I) = x (n, H) · W_upᵀ} on the resident up, rows split across threads. */
    public void up(float[] x, int n, float[] v) {
        io.strata.engine.backend.FloeFfn.up(fast, kernels, x, n, v);
    }

    /** Predicted mask {@code |hidden·W_upᵀ| > t} for an early hidden state. hidden: (H); returns (I). */
    public boolean[] predictMask(float[] hidden) {
        float[] v = new float[intermediate];
        up(hidden, 1, v);
        float t = threshold;
        boolean[] m = new boolean[intermediate];
        for (int i = 0; i < intermediate; i++) m[i] = Math.abs(v[i]) > t;
        return m;
    }

    /**
     * The sparse forward of n ≥ 1 tokens. x: (n, H); y: (n, H), overwritten. Loads the rows the
     * union of the masks needs, then computes each token from fast memory only. Returns Σ active
     * channels over the tokens.
     */
    public synchronized int forward(float[] x, int n, float[] y) {
        return io.strata.engine.backend.FloeFfn.forward(fast, this, kernels, x, n, y);
    }
}
