// Every routed expert of a model encoded with one codec: the lower-tier image the FloE and codec stores serve from.
package io.strata.engine.floe;

import io.strata.compression.codec.CodecParams;
import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.ExpertCodec;
import io.strata.compression.codec.ExpertCodecs;
import io.strata.compression.codec.ExpertWeights;
import io.strata.compression.kernel.Parallel;
import io.strata.engine.checkpoint.WeightSource;
import io.strata.engine.model.ModelConfig;
import java.lang.foreign.Arena;

/**
 * {@code experts[layer][expert]} encoded blobs ({@code null} rows for dense layers), all of one
 * codec and of shape {@code [H = config.hidden(), I = config.expertIntermediate()]}. The blobs may
 * live anywhere a {@link java.lang.foreign.MemorySegment} can point: host memory from an arena, or
 * a region of a mapped file.
 */
public final class EncodedExperts {
    private final ModelConfig config;
    private final String codec;
    private final EncodedExpert[][] experts; // [layer][expert]

    private EncodedExperts(ModelConfig config, String codec, EncodedExpert[][] experts) {
        this.config = config;
        this.codec = codec;
        this.experts = experts;
    }

    /**
     * Encodes every routed expert of a checkpoint with {@code codec}, experts spread over the CPU
     * threads, blobs allocated from arena (which must be shared or global: pool threads write them).
     */
    public static EncodedExperts encode(ModelConfig c, WeightSource src, ExpertCodec codec, Arena arena) {
        int layers = c.numLayers(), n = c.numExperts();
        EncodedExpert[][] out = new EncodedExpert[layers][];
        for (int l = 0; l < layers; l++) if (c.moeLayer()[l]) out[l] = new EncodedExpert[n];
        Parallel.forRange(layers * n, 1, (a, b) -> {
            for (int k = a; k < b; k++) {
                int l = k / n, e = k % n;
                if (out[l] == null) continue;
                var w = c.expert(src, l, e);
                out[l][e] = codec.encode(new ExpertWeights(w.gate(), w.up(), w.down()), arena);
            }
        });
        return new EncodedExperts(c, codec.name(), out);
    }

    /**
     * Wraps blobs encoded elsewhere (a packed store, a file), checking each against the model
     * shape and against the layout its codec writes.
     *
     * @throws IllegalArgumentException naming the layer and expert whose codec, shape or layout differs
     */
    public static EncodedExperts of(ModelConfig c, EncodedExpert[][] experts) {
        String codec = null;
        if (experts.length != c.numLayers()) {
            throw new IllegalArgumentException("expected experts for " + c.numLayers() + " layers, found " + experts.length);
        }
        for (int l = 0; l < experts.length; l++) {
            if (!c.moeLayer()[l]) continue;
            if (experts[l] == null || experts[l].length != c.numExperts()) {
                throw new IllegalArgumentException("layer " + l + ": expected " + c.numExperts() + " experts, found "
                        + (experts[l] == null ? "none" : experts[l].length));
            }
            for (int e = 0; e < experts[l].length; e++) {
                EncodedExpert x = experts[l][e];
                String where = "layer " + l + " expert " + e;
                if (x == null) throw new IllegalArgumentException(where + ": missing");
                CodecParams p = x.params();
                if (codec == null) codec = p.codec();
                if (!p.codec().equals(codec)) {
                    throw new IllegalArgumentException(where + ": expected codec '" + codec + "' like the others, found '" + p.codec() + "'");
                }
                if (p.hidden() != c.hidden() || p.intermediate() != c.expertIntermediate()) {
                    throw new IllegalArgumentException(where + ": expected [H=" + c.hidden() + ", I=" + c.expertIntermediate()
                            + "], found [H=" + p.hidden() + ", I=" + p.intermediate() + "]");
                }
                try {
                    ExpertCodecs.byName(p.codec()).checkLayout(x);
                } catch (IllegalArgumentException ex) {
                    throw new IllegalArgumentException(where + ": " + ex.getMessage(), ex);
                }
            }
        }
        if (codec == null) throw new IllegalArgumentException("the model has no MoE layer: nothing to encode");
        return new EncodedExperts(c, codec, experts);
    }

    public ModelConfig config() {
        return config;
    }

    /** The codec name every blob was written with. */
    public String codec() {
        return codec;
    }

    /** The blob of one expert; fails for a dense layer. */
    public EncodedExpert get(int layer, int expert) {
        EncodedExpert[] row = experts[layer];
        if (row == null) throw new IllegalArgumentException("layer " + layer + " is a dense layer and has no routed experts");
        return row[expert];
    }

    /** The layout every blob shares (taken from the first MoE layer's expert 0). */
    public CodecParams params() {
        for (EncodedExpert[] row : experts) if (row != null) return row[0].params();
        throw new IllegalStateException("no MoE layer");
    }
}
