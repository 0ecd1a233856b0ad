// The KV cache of multi-head latent attention (DeepSeek-V2/V3): the compressed latent and the rotary key per position.
package io.strata.engine.backend;

/**
 * Per layer and position one row of {@code latentDim + ropeDim} floats: the normalised KV latent c (kv_lora_rank)
 * followed by the rotated shared key k_pe (qk_rope_head_dim). Keys and values of every head are derived from c by
 * the model's up-projections, which are absorbed into the query and the output, so they are never stored.
 * As a {@link KvCache} it reports one KV head of {@code latentDim + ropeDim} dimensions.
 */
public interface LatentCache extends KvCache {
    int latentDim();

    int ropeDim();

    @Override
    default int kvHeads() {
        return 1;
    }

    @Override
    default int headDim() {
        return latentDim() + ropeDim();
    }
}
