// Experts served from codec blobs: dequantized once, or run through the fused quantized kernels.
package io.strata.engine.floe;

import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.ExpertCodec;
import io.strata.compression.codec.ExpertCodecs;
import io.strata.compression.codec.GroupQuantCodec;
import io.strata.compression.kernel.QuantKernels;
import io.strata.engine.backend.Backend;
import io.strata.engine.backend.Buf;
import io.strata.engine.checkpoint.WeightSource;
import io.strata.engine.model.ModelConfig;
import io.strata.tiering.ExpertHandle;
import io.strata.tiering.ExpertKey;
import io.strata.tiering.ExpertLayout;
import io.strata.tiering.ExpertStore;
import io.strata.tiering.ExpertWeights;
import io.strata.tiering.Tier;
import java.lang.foreign.Arena;

/**
 * The quality-comparison store: every expert encoded with one codec (bf16, int8, int4, int3,
 * int2, or a floe layout run densely) and served either
 * <ul>
 *   <li>{@link Mode#DEQUANTIZED}: decoded once to checkpoint-orientation matrices (bf16 parts
 *       bit-exact, quantized parts as f32) and run by the backend's dense {@code expertFfn}; or</li>
 *   <li>{@link Mode#FUSED}: group-quantized codecs handed out as their blobs, run by {@link Backend#expertFfn} ({@link QuantKernels#matmul} on the CPU) straight
 *       from the blob ({@code g = Ŵ_gate·x, u = Ŵ_up·x, y = Ŵ_down·(SiLU(g) ⊙ u)}); other codecs
 *       fall back to DEQUANTIZED, which is logged.</li>
 * </ul>
 */
public final class CodecExpertStore implements ExpertStore {
    private static final System.Logger LOG = System.getLogger("strata.floe");

    public enum Mode { DEQUANTIZED, FUSED }

    private final ModelConfig config;
    private final EncodedExperts blobs;
    private final Mode mode;
    private final ExpertWeights[][] decoded;   // [layer][expert] for DEQUANTIZED, else null
    private final Arena arena = Arena.ofShared();
    private final Arena ownedBlobs;            // arena of blobs this store encoded, else null

    public CodecExpertStore(EncodedExperts blobs, Mode mode) {
        this(blobs, mode, null);
    }

    private CodecExpertStore(EncodedExperts blobs, Mode mode, Arena owned) {
        this.config = blobs.config();
        this.blobs = blobs;
        this.ownedBlobs = owned;
        ExpertCodec codec = ExpertCodecs.byName(blobs.codec());
        Mode m = mode;
        if (m == Mode.FUSED && !(codec instanceof GroupQuantCodec)) {
            LOG.log(System.Logger.Level.INFO, "codec " + codec.name() + " has no fused kernel path; serving it dequantized");
            m = Mode.DEQUANTIZED;
        }
        this.mode = m;
        decoded = new ExpertWeights[config.numLayers()][];
        if (m == Mode.DEQUANTIZED) {
            for (int l = 0; l < config.numLayers(); l++) {
                if (!config.moeLayer()[l]) continue;
                decoded[l] = new ExpertWeights[config.numExperts()];
                for (int e = 0; e < config.numExperts(); e++) {
                    var d = codec.decode(blobs.get(l, e), arena);
                    decoded[l][e] = new ExpertWeights(d.gate(), d.up(), d.down());
                }
            }
        }
    }

    /** Encodes the checkpoint's experts with codec (by manifest name) into memory owned by the store. */
    public static CodecExpertStore encode(ModelConfig c, WeightSource src, String codec, Mode mode) {
        Arena a = Arena.ofShared();
        try {
            return new CodecExpertStore(EncodedExperts.encode(c, src, ExpertCodecs.byName(codec), a), mode, a);
        } catch (RuntimeException ex) {
            a.close();
            throw ex;
        }
    }

    public EncodedExperts blobs() {
        return blobs;
    }

    /** The mode actually used (FUSED requested for a codec without fused kernels becomes DEQUANTIZED). */
    public Mode mode() {
        return mode;
    }

    @Override
    public int numLayers() {
        return config.numLayers();
    }

    @Override
    public int numExperts() {
        return config.numExperts();
    }

    /** The dequantized expert (decoded on demand in FUSED mode). */
    public synchronized ExpertWeights weights(int layer, int expert) {
        if (decoded[layer] == null) decoded[layer] = new ExpertWeights[config.numExperts()];
        ExpertWeights w = decoded[layer][expert];
        if (w == null) {
            var d = ExpertCodecs.byName(blobs.codec()).decode(blobs.get(layer, expert), arena);
            w = decoded[layer][expert] = new ExpertWeights(d.gate(), d.up(), d.down());
        }
        return w;
    }

    @Override
    public ExpertHandle acquire(int layer, int expert) {
        ExpertKey key = new ExpertKey(layer, expert);
        if (mode == Mode.DEQUANTIZED) return ExpertHandle.dense(key, Tier.FAST, decoded[layer][expert], null, null);
        return ExpertHandle.encoded(key, Tier.FAST, blobs.get(layer, expert), null, null);
    }

    @Override
    public java.util.List<ExpertLayout> layouts() {
        java.util.LinkedHashSet<ExpertLayout> out = new java.util.LinkedHashSet<>();
        for (int l = 0; l < config.numLayers(); l++) {
            if (!config.moeLayer()[l]) continue;
            for (int e = 0; e < config.numExperts(); e++) {
                out.add(mode == Mode.DEQUANTIZED ? new ExpertLayout.Dense(decoded[l][e].gate().dtype())
                        : ExpertLayout.of(blobs.get(l, e).params()));
            }
        }
        return java.util.List.copyOf(out);
    }

    @Override
    public void close() {
        arena.close();
        if (ownedBlobs != null) ownedBlobs.close();
    }
}
