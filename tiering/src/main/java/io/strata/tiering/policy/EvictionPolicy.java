// The seam for cache replacement: one class per policy, usable in the store and in trace replay.
package io.strata.tiering.policy;

import io.strata.tiering.ExpertKey;
import java.util.List;

/**
 * Decides which resident expert leaves a full cache. The caller owns the cache contents and tells the policy
 * what happens; the policy only keeps the state it needs to rank candidates. Not thread-safe: the caller
 * serialises calls (the store holds its lock, the simulator is single-threaded).
 *
 * <p>Time is logical and supplied by the caller: the trace simulator and the engine use the token index
 * (one unit per forward step), so recency and windowed frequency are measured in tokens.
 *
 * <p>Call order for one request: {@link #onRouting} once per (token, layer) step when the router's choice is
 * known (optional), then for each expert of the step {@link #onAccess}; on a miss, if the cache is full,
 * {@link #chooseVictim} then {@link #onEvict}, then {@link #onInsert}.
 */
public interface EvictionPolicy {
    /** Short name used in reports ("lru", "lfu", "learned", "belady", "random"). */
    String name();

    /** The router chose {@code experts} (rank order) with {@code weights} (may be empty) at {@code layer}. */
    default void onRouting(int layer, int[] experts, float[] weights, long time) {}

    /** One request for {@code key} at {@code time}, hit or miss. */
    void onAccess(ExpertKey key, long time);

    /** {@code key} became resident. */
    void onInsert(ExpertKey key, long time);

    /** {@code key} left the cache (chosen victim, or removed by the caller). */
    void onEvict(ExpertKey key);

    /**
     * Picks the victim among {@code candidates} (non-empty, all resident, none pinned by the caller).
     *
     * @return one element of candidates
     */
    ExpertKey chooseVictim(List<ExpertKey> candidates, long time);
}
