// The three matrices of one SwiGLU expert, addressable by the CPU.
package io.strata.tiering;

import io.strata.compression.Matrix;

/**
 * One expert: {@code y = down · (SiLU(gate · x) ⊙ (up · x))}.
 *
 * @param gate (intermediate, hidden) — Mixtral w1, Qwen/OLMoE gate_proj
 * @param up   (intermediate, hidden) — Mixtral w3, up_proj
 * @param down (hidden, intermediate) — Mixtral w2, down_proj
 */
public record ExpertWeights(Matrix gate, Matrix up, Matrix down) {
    public long byteSize() {
        return gate.byteSize() + up.byteSize() + down.byteSize();
    }
}
