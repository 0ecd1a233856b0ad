// Serves experts straight from an unpacked checkpoint's mapped safetensors files (no tiers, no copies).
package io.strata.engine.store;

import io.strata.engine.checkpoint.WeightSource;
import io.strata.engine.model.ModelConfig;
import io.strata.tiering.ExpertHandle;
import io.strata.tiering.ExpertKey;
import io.strata.tiering.ExpertStore;
import io.strata.tiering.ExpertWeights;
import io.strata.tiering.Tier;

/**
 * Every expert is addressed in place in the memory-mapped checkpoint; the operating system's
 * page cache decides what is in RAM. Shapes are validated once, at construction.
 */
public final class CheckpointExpertStore implements ExpertStore {
    private final ModelConfig config;
    private final ExpertWeights[][] experts; // [layer][expert], null for dense layers

    public CheckpointExpertStore(ModelConfig c, WeightSource src) {
        this.config = c;
        experts = new ExpertWeights[c.numLayers()][];
        for (int l = 0; l < c.numLayers(); l++) {
            if (!c.moeLayer()[l]) continue;
            experts[l] = new ExpertWeights[c.numExperts()];
            for (int e = 0; e < c.numExperts(); e++) {
                experts[l][e] = c.expert(src, l, e);
            }
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
    public ExpertHandle acquire(int layer, int expert) {
        ExpertWeights w = experts[layer][expert];
        ExpertKey key = new ExpertKey(layer, expert);
        return new ExpertHandle() {
            @Override
            public ExpertKey key() {
                return key;
            }

            @Override
            public ExpertWeights weights() {
                return w;
            }

            @Override
            public Tier servedFrom() {
                return Tier.HOST;
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public void close() {}
}
