// The residency side of a FloE expert: which gate/down-transposed rows are in fast memory, and loading more.
package io.strata.compression.floe;

/**
 * A FloE expert's fast copy is filled channel by channel: channel i's gate row and down-transposed row (2H bytes each)
 * move only when {@code |x·W_upᵀ|_i > t}. Whoever computes the expert asks for the rows it needs; whoever owns the
 * expert's residency copies them (and counts the traffic). Thread-safe.
 */
public interface PartialRows {
    /** t: a channel is active when {@code |x·W_upᵀ|} exceeds it. */
    float threshold();

    /** Makes the rows of every channel with {@code need[i]} resident, copying only those missing. need: (I). Returns bytes copied. */
    long ensureRows(boolean[] need);

    /** Records one token's activation: {@code active} of {@code channels} channels above the threshold. */
    void activation(int active, int channels);
}
