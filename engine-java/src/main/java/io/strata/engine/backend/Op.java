// The operations of the Backend seam, for supports() queries and parity tests.
package io.strata.engine.backend;

public enum Op {
    MATMUL, EMBED, RMSNORM, ROPE, ATTENTION, KV_STORE, SILU_MUL, AXPY, ADD_BIAS, CLAMP, COPY, GATHER_ROWS,
    SCATTER_ADD_ROWS, EXPERT_FFN, LATENT_STORE, LATENT_ATTENTION
}
