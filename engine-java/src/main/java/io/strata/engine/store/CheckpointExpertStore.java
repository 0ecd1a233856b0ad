// Serves experts straight from an unpacked checkpoint's mapped safetensors files; on a GPU, with a VRAM fast tier.
package io.strata.engine.store;

import io.strata.engine.checkpoint.WeightSource;
import io.strata.engine.model.ModelConfig;
import io.strata.tiering.ExpertHandle;
import io.strata.tiering.ExpertKey;
import io.strata.tiering.ExpertLayout;
import io.strata.tiering.ExpertStore;
import io.strata.tiering.ExpertWeights;
import io.strata.tiering.Tier;
import io.strata.tiering.fast.FastSet;
import io.strata.tiering.fast.FastSlot;
import io.strata.tiering.fast.FastTier;
import io.strata.tiering.policy.EvictionPolicy;
import io.strata.tiering.stats.StatsRecorder;
import io.strata.tiering.stats.StoreStats;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Every expert is addressed in place in the memory-mapped checkpoint: the host tier is the mapping (the operating
 * system's page cache decides what is in RAM). With a fast tier (VRAM on a GPU) this store also decides which
 * experts are copied there, under one eviction policy, exactly as the tiered store does; without one, every acquire
 * is a host hit served in place. Shapes are validated once, at construction. Thread-safe.
 */
public final class CheckpointExpertStore implements ExpertStore {
    private final ModelConfig config;
    private final ExpertWeights[][] experts; // [layer][expert], null for dense layers (and for decoded experts)
    private final WeightSource src;
    // gpt-oss: experts are decoded from stacked (MXFP4) tensors on every acquire instead of being held: holding them
    // all decoded would take several times the checkpoint's size in RAM.
    private final boolean decodeOnAcquire;
    private final FastSet fast;              // null: no fast tier
    private final StatsRecorder stats;
    private volatile AcquireListener listener;
    private long step = -1, acquires;

    /** Host only: every expert served from the mapping. */
    public CheckpointExpertStore(ModelConfig c, WeightSource src) {
        this(c, src, null, null);
    }

    /** With a fast tier whose members {@code policy} chooses (a fresh policy instance). */
    public CheckpointExpertStore(ModelConfig c, WeightSource src, FastTier fastTier, EvictionPolicy policy) {
        this.config = c;
        this.src = src;
        this.decodeOnAcquire = c.arch() == io.strata.engine.model.Architecture.GPT_OSS;
        experts = new ExpertWeights[c.numLayers()][];
        for (int l = 0; l < c.numLayers(); l++) {
            if (!c.moeLayer()[l]) continue;
            experts[l] = new ExpertWeights[c.numExperts()];
            if (decodeOnAcquire) {
                c.expert(src, l, 0); // the layer's stacked tensors are checked (shapes, dtypes) by decoding one expert
                continue;
            }
            for (int e = 0; e < c.numExperts(); e++) {
                experts[l][e] = c.expert(src, l, e);
            }
        }
        this.stats = new StatsRecorder(c.numLayers());
        if (fastTier != null) {
            if (fastTier.capacity() < c.topK()) {
                throw new IllegalArgumentException("fast tier " + fastTier.describe() + " holds " + fastTier.capacity()
                        + " experts; one layer's top-" + c.topK() + " needs at least " + c.topK());
            }
            this.fast = new FastSet(fastTier, policy, fastTier.capacity(), 1, stats);
        } else {
            this.fast = null;
        }
    }

    @Override
    public int numLayers() {
        return config.numLayers();
    }

    @Override
    public int numExperts() {
        return config.numExperts();
    }

    @Override
    public List<ExpertLayout> layouts() {
        LinkedHashSet<ExpertLayout> out = new LinkedHashSet<>();
        for (int l = 0; l < experts.length; l++) {
            if (experts[l] == null) continue;
            if (decodeOnAcquire) out.add(new ExpertLayout.Dense(config.expert(src, l, 0).gate().dtype()));
            else for (ExpertWeights w : experts[l]) out.add(new ExpertLayout.Dense(w.gate().dtype()));
        }
        return List.copyOf(out);
    }

    @Override
    public synchronized void beginStep(long s) {
        step = s;
    }

    @Override
    public void listen(AcquireListener l) {
        listener = l;
    }

    @Override
    public StoreStats stats() {
        return stats.snapshot();
    }

    @Override
    public ExpertHandle acquire(int layer, int expert) {
        long t0 = System.nanoTime();
        if (experts[layer] == null) throw new IllegalArgumentException("layer " + layer + " is dense: no routed expert " + expert);
        ExpertWeights w = decodeOnAcquire ? config.expert(src, layer, expert) : experts[layer][expert];
        ExpertKey key = new ExpertKey(layer, expert);
        Tier tier;
        FastSlot slot = null;
        if (fast == null) {
            tier = Tier.HOST;
        } else {
            synchronized (this) {
                long time = step >= 0 ? step : acquires;
                acquires++;
                fast.policy().onAccess(key, time);
                tier = fast.contains(key) ? Tier.FAST : Tier.HOST;
                slot = fast.admitLeased(key, new MemorySegment[] {w.gate().data(), w.up().data(), w.down().data()}, time, k -> true);
            }
        }
        ExpertHandle h = ExpertHandle.dense(key, tier, w, slot, slot != null ? () -> unlease(key) : null);
        long waited = System.nanoTime() - t0;
        stats.acquire(layer, tier, waited);
        AcquireListener l = listener;
        if (l != null) l.onAcquire(layer, expert, tier, waited);
        return h;
    }

    private synchronized void unlease(ExpertKey key) {
        fast.unlease(key);
    }

    /** Experts now in the fast tier (empty without one). */
    public synchronized List<ExpertKey> fastMembers() {
        return fast == null ? List.of() : fast.members();
    }

    @Override
    public synchronized void close() {
        if (fast != null) fast.close();
    }
}
