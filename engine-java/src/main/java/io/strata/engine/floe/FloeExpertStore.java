// The FloE expert store for the CPU engine: resident INT2 up projections, gate/down rows moved on demand.
package io.strata.engine.floe;

import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.ExpertCodec;
import io.strata.compression.codec.ExpertCodecs;
import io.strata.compression.codec.FloeCodec;
import io.strata.compression.kernel.QuantKernels;
import io.strata.compression.kernel.Kernels;
import io.strata.engine.backend.Backend;
import io.strata.engine.backend.Buf;
import io.strata.engine.checkpoint.WeightSource;
import io.strata.engine.model.ModelConfig;
import io.strata.tiering.ExpertHandle;
import io.strata.tiering.ExpertKey;
import io.strata.tiering.ExpertStore;
import io.strata.tiering.ExpertWeights;
import io.strata.tiering.Tier;
import java.lang.foreign.Arena;

/**
 * Serves every routed expert as a {@link RowResidentExpert} over the {@link EncodedExperts} of a
 * floe codec (the lower tier). Handles are FloE layouts: the backend runs FloE's sparse forward from the
 * expert's fast blob and asks the handle's row loader (the {@link RowResidentExpert}) for the rows it needs; this
 * store owns which rows are resident. Thresholds are per layer, in units of {@code |x·W_upᵀ|}.
 */
public final class FloeExpertStore implements ExpertStore {
    private static final System.Logger LOG = System.getLogger("strata.floe");

    private final ModelConfig config;
    private final EncodedExperts lower;
    private final RowResidentExpert[][] experts; // [layer][expert], null rows for dense layers
    private final TransferStats[] stats;         // per layer
    private final ExpertWeights[][] decoded;     // [layer][expert] lazily decoded for ExpertHandle.weights()
    private final Arena arena = Arena.ofShared();
    private final Arena ownedLower;              // the arena of blobs this store encoded itself, else null
    private io.strata.tiering.fast.FastSet fastSet; // a fast tier holding copies elsewhere (VRAM), or null
    private long clock;

    /**
     * @param lower      floe-codec blobs of every expert (the lower tier)
     * @param thresholds per layer t (length numLayers), or null to use each blob's own threshold (0 when unset)
     * @param preload    copy every gate/downT row to the fast tier now; false: on demand
     */
    public FloeExpertStore(EncodedExperts lower, float[] thresholds, boolean preload) {
        this(lower, thresholds, preload, Kernels.quant(), null);
    }

    private FloeExpertStore(EncodedExperts lower, float[] thresholds, boolean preload, QuantKernels kernels, Arena owned) {
        this.config = lower.config();
        this.lower = lower;
        this.ownedLower = owned;
        if (!lower.codec().startsWith(FloeCodec.NAME)) {
            throw new IllegalArgumentException("FloeExpertStore needs floe-encoded experts, found codec '" + lower.codec() + "'");
        }
        int layers = config.numLayers(), n = config.numExperts();
        if (thresholds != null && thresholds.length != layers) {
            throw new IllegalArgumentException("expected " + layers + " per-layer thresholds, found " + thresholds.length);
        }
        experts = new RowResidentExpert[layers][];
        decoded = new ExpertWeights[layers][];
        stats = new TransferStats[layers];
        for (int l = 0; l < layers; l++) {
            stats[l] = new TransferStats();
            if (!config.moeLayer()[l]) continue;
            experts[l] = new RowResidentExpert[n];
            decoded[l] = new ExpertWeights[n];
            for (int e = 0; e < n; e++) {
                EncodedExpert b = lower.get(l, e);
                Float own = b.params().threshold();
                float t = thresholds != null ? thresholds[l] : own == null ? 0f : own;
                experts[l][e] = new RowResidentExpert("layer " + l + " expert " + e, b, t, kernels, stats[l], arena, preload);
            }
        }
        LOG.log(System.Logger.Level.INFO, "FloE store: codec " + lower.codec() + ", kernels " + kernels.name() + ", "
                + (preload ? "all rows preloaded" : "rows loaded on demand"));
    }

    /**
     * Encodes the checkpoint's experts with a floe codec into host memory owned by the store
     * ("floe" = INT2 up, "floe-bf16up" = exact up) and serves them.
     */
    public static FloeExpertStore encode(ModelConfig c, WeightSource src, String codec, float[] thresholds, boolean preload) {
        ExpertCodec k = ExpertCodecs.byName(codec);
        if (!k.name().startsWith(FloeCodec.NAME)) {
            throw new IllegalArgumentException("expected a floe codec (floe, floe-bf16up, floe-int<B>-g<G>), found '" + codec + "'");
        }
        Arena a = Arena.ofShared();
        try {
            return new FloeExpertStore(EncodedExperts.encode(c, src, k, a), thresholds, preload, Kernels.quant(), a);
        } catch (RuntimeException ex) {
            a.close();
            throw ex;
        }
    }

    public ModelConfig config() {
        return config;
    }

    /** The lower-tier blobs. */
    public EncodedExperts lower() {
        return lower;
    }

    /** The FloE expert (layer, expert); fails for a dense layer. */
    public RowResidentExpert expert(int layer, int expert) {
        RowResidentExpert[] row = experts[layer];
        if (row == null) throw new IllegalArgumentException("layer " + layer + " is dense: no routed experts");
        return row[expert];
    }

    /** Sets every expert's threshold of each MoE layer; t: (numLayers). */
    public void setThresholds(float[] t) {
        if (t.length != config.numLayers()) {
            throw new IllegalArgumentException("expected " + config.numLayers() + " thresholds, found " + t.length);
        }
        for (int l = 0; l < t.length; l++) if (experts[l] != null) for (RowResidentExpert x : experts[l]) x.setThreshold(t[l]);
    }

    /** Current per-layer thresholds (0 for dense layers). */
    public float[] thresholds() {
        float[] t = new float[config.numLayers()];
        for (int l = 0; l < t.length; l++) if (experts[l] != null) t[l] = experts[l][0].threshold();
        return t;
    }

    /** Traffic and sparsity of one layer. */
    public TransferStats stats(int layer) {
        return stats[layer];
    }

    /** Traffic and sparsity summed over layers. */
    public TransferStats.Snapshot totals() {
        long[] s = new long[8];
        for (TransferStats t : stats) {
            TransferStats.Snapshot x = t.snapshot();
            long[] v = {x.bytesMoved(), x.reads(), x.rowsLoaded(), x.prefetchBytes(), x.prefetchReads(), x.activations(),
                    x.activeChannels(), x.channels()};
            for (int i = 0; i < 8; i++) s[i] += v[i];
        }
        return new TransferStats.Snapshot(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
    }

    public void resetStats() {
        for (TransferStats t : stats) t.reset();
    }

    /** Drops every gate/downT row of every expert from the fast tier (a cold start for traffic measurements). */
    public void evictAll() {
        for (RowResidentExpert[] row : experts) if (row != null) for (RowResidentExpert x : row) x.evict();
    }

    /**
     * Starts the partial load of (layer, expert) early from a predicted mask: the rows of
     * {@code |hidden·W_upᵀ| > t} (hidden: (H), e.g. the previous layer's hidden state). Returns bytes copied.
     */
    public long prefetchRows(int layer, int expert, float[] hidden) {
        RowResidentExpert x = expert(layer, expert);
        return x.prefetch(x.predictMask(hidden));
    }

    @Override
    public int numLayers() {
        return config.numLayers();
    }

    @Override
    public int numExperts() {
        return config.numExperts();
    }

    /**
     * FAST: the resident up is in the fast tier; the handle's row loader copies the gate/downT rows the compute needs
     * (counted in {@link #stats}). The backend computes from the fast blob.
     */
    @Override
    public ExpertHandle acquire(int layer, int expert) {
        RowResidentExpert x = expert(layer, expert);
        ExpertKey key = new ExpertKey(layer, expert);
        if (fastSet == null) return ExpertHandle.floe(key, Tier.FAST, x.fast(), x, null, null);
        synchronized (this) {
            fastSet.policy().onAccess(key, clock);
            Tier tier = fastSet.contains(key) ? Tier.FAST : Tier.HOST;
            // The whole fast blob (resident up, the rows loaded so far) is copied on admission; later rows follow
            // through the expert's row sink.
            var slot = fastSet.admitLeased(key, new java.lang.foreign.MemorySegment[] {x.fast().blob()}, clock++, k -> true);
            if (slot == null) return ExpertHandle.floe(key, Tier.HOST, x.fast(), x, null, null);
            return ExpertHandle.floe(key, tier, x.fast(), x, slot, () -> {
                synchronized (FloeExpertStore.this) {
                    fastSet.unlease(key);
                }
            });
        }
    }

    /**
     * Gives this store a fast tier that holds copies elsewhere (VRAM on a GPU), its members chosen by {@code policy}:
     * an expert's fast blob is copied there on admission and every row loaded afterwards follows it, so the backend
     * computes on the device from the copy. Call before the first acquire.
     */
    public synchronized void fastTier(io.strata.tiering.fast.FastTier tier, io.strata.tiering.policy.EvictionPolicy policy) {
        if (fastSet != null) throw new IllegalStateException("the FloE store has its fast tier already");
        fastSet = new io.strata.tiering.fast.FastSet(tier, policy, tier.capacity(), 1, new io.strata.tiering.stats.StatsRecorder());
        for (int l = 0; l < experts.length; l++) {
            if (experts[l] == null) continue;
            for (int e = 0; e < experts[l].length; e++) {
                ExpertKey key = new ExpertKey(l, e);
                experts[l][e].sink((off, bytes) -> {
                    synchronized (FloeExpertStore.this) {
                        if (fastSet.contains(key)) fastSet.tier().update(key, 0, off, bytes);
                    }
                });
            }
        }
    }

    @Override
    public java.util.List<io.strata.tiering.ExpertLayout> layouts() {
        return java.util.List.of(io.strata.tiering.ExpertLayout.of(lower.get(firstMoeLayer(), 0).params()));
    }

    private int firstMoeLayer() {
        for (int l = 0; l < config.numLayers(); l++) if (config.moeLayer()[l]) return l;
        throw new IllegalStateException("the model has no MoE layer");
    }

    /** The expert dequantized in checkpoint orientation (for callers that need plain weights). */
    private synchronized ExpertWeights decoded(int layer, int expert) {
        ExpertWeights w = decoded[layer][expert];
        if (w == null) {
            EncodedExpert b = lower.get(layer, expert);
            var d = ExpertCodecs.byName(b.params().codec()).decode(b, arena);
            w = new ExpertWeights(d.gate(), d.up(), d.down());
            decoded[layer][expert] = w;
        }
        return w;
    }

    @Override
    public synchronized void close() {
        if (fastSet != null) fastSet.close();
        arena.close();
        if (ownedLower != null) ownedLower.close();
    }
}
