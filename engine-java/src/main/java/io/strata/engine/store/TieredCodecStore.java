// Group-quantized experts moved through the tiers as their encoded bytes and run without decoding.
package io.strata.engine.store;

import io.strata.compression.codec.CodecParams;
import io.strata.compression.codec.EncodedExpert;
import io.strata.engine.backend.Backend;
import io.strata.engine.backend.Buf;
import io.strata.engine.moe.ExpertOverride;
import io.strata.tiering.ExpertHandle;
import io.strata.tiering.ExpertKey;
import io.strata.tiering.ExpertStore;
import io.strata.tiering.ExpertWeights;
import io.strata.tiering.Tier;
import io.strata.tiering.TieredExpertStore;
import io.strata.tiering.stats.StoreStats;

/**
 * A {@link TieredExpertStore} over a store packed with a group-quantizing codec (int8, int4, int3,
 * int2): each tier holds the blob as packed (budgets count encoded bytes, reads are CRC-checked by
 * the tiered store), and a leased expert runs through {@link Backend#quantExpertFfn} on the blob
 * (the CUDA backend copies the blob into its VRAM cache and runs the fused dequantize kernels).
 */
public final class TieredCodecStore implements ExpertStore {
    private final TieredExpertStore tiers;
    private final CodecParams[][] params;

    /** params[layer][expert]: each expert's layout (codec.json); the blob sizes are checked here. */
    public TieredCodecStore(TieredExpertStore tiers, CodecParams[][] params) {
        this.tiers = tiers;
        this.params = params;
        for (int l = 0; l < tiers.numLayers(); l++) {
            if (params[l] == null) continue;
            for (int e = 0; e < tiers.numExperts(); e++) CodecStoreFiles.blob(tiers.packedStore(), params, l, e);
        }
    }

    public TieredExpertStore tiers() {
        return tiers;
    }

    @Override
    public int numLayers() {
        return tiers.numLayers();
    }

    @Override
    public int numExperts() {
        return tiers.numExperts();
    }

    @Override
    public ExpertHandle acquire(int layer, int expert) {
        TieredExpertStore.Handle h = (TieredExpertStore.Handle) tiers.acquire(layer, expert);
        try {
            var m = h.location().matrix(CodecStoreFiles.BLOB);
            return new Encoded(h, new EncodedExpert(params[layer][expert], h.region().asSlice(m.offset(), m.length())));
        } catch (RuntimeException ex) {
            h.close();
            throw ex;
        }
    }

    @Override
    public void prefetch(int layer, int expert) {
        tiers.prefetch(layer, expert);
    }

    @Override
    public void request(int layer, int... experts) {
        tiers.request(layer, experts);
    }

    @Override
    public void cancelPrefetch(int layer, int expert) {
        tiers.cancelPrefetch(layer, expert);
    }

    @Override
    public void beginStep(long step) {
        tiers.beginStep(step);
    }

    @Override
    public StoreStats stats() {
        return tiers.stats();
    }

    @Override
    public void close() {
        tiers.close();
    }

    /** A leased encoded expert; valid until closed. */
    private record Encoded(TieredExpertStore.Handle lease, EncodedExpert blob) implements ExpertHandle, ExpertOverride {
        @Override
        public ExpertKey key() {
            return lease.key();
        }

        @Override
        public ExpertWeights weights() {
            throw new IllegalStateException(lease.key() + ": a " + blob.params().codec() + " expert runs encoded (ExpertOverride.forward); "
                    + "it has no dense matrices");
        }

        @Override
        public Tier servedFrom() {
            return lease.servedFrom();
        }

        @Override
        public void forward(Backend backend, Buf x, int n, Buf out) {
            backend.quantExpertFfn(lease.key(), blob, x, n, out);
        }

        @Override
        public void close() {
            lease.close();
        }
    }
}
