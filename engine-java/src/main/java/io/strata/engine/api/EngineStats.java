// An immutable snapshot of a loaded model's counters: tokens, time in forward passes, sessions and tiers.
package io.strata.engine.api;

import io.strata.tiering.Tier;
import io.strata.tiering.TieredExpertStore;
import io.strata.tiering.stats.StoreStats;
import java.util.ArrayList;
import java.util.List;

/**
 * Counters since the model was loaded, over every session.
 *
 * @param promptTokens      prompt tokens run through the model (tokens a session reused from its cache excluded)
 * @param generatedTokens   tokens sampled
 * @param prefillNanos      nanoseconds in prefill forward passes
 * @param decodeNanos       nanoseconds in one-token decode forward passes
 * @param stepWaitNanos     nanoseconds sessions waited for another session's forward pass (queueing)
 * @param openSessions      sessions not yet closed
 * @param queuedSteps       sessions waiting for the step lock at the snapshot
 * @param uptimeNanos       nanoseconds since load
 * @param tiers             per-tier counters of a packed store's tiered experts, fastest first; empty for a
 *                          checkpoint folder or a FloE store
 * @param ssdBytesRead      bytes read from the store into host slots (0 without tiers)
 * @param promotedBytes     bytes copied host → fast tier (0 without tiers, and on a CPU fast tier)
 */
public record EngineStats(long promptTokens, long generatedTokens, long prefillNanos, long decodeNanos, long stepWaitNanos,
                          int openSessions, int queuedSteps, long uptimeNanos, List<TierStats> tiers, long ssdBytesRead,
                          long promotedBytes) {
    /**
     * Acquires of experts served by one tier.
     *
     * @param tier        "fast", "host" or "ssd"
     * @param served      acquires this tier served (a hit here, a miss in the faster tiers)
     * @param waitNanos   nanoseconds acquire callers were blocked while this tier served them
     * @param hitRate     share of the acquires that reached this tier which it served (NaN when none reached it)
     */
    public record TierStats(String tier, long served, long waitNanos, double hitRate) {}

    /** Copies the tier list so the snapshot stays immutable. */
    public EngineStats {
        tiers = List.copyOf(tiers);
    }

    /**
     * Decode speed over every session.
     *
     * @return generated tokens per second of decode forward passes (0 before any)
     */
    public double decodeTokensPerSecond() {
        return decodeNanos > 0 ? generatedTokens / (decodeNanos / 1e9) : 0;
    }

    /**
     * Prefill speed over every session.
     *
     * @return prompt tokens per second of prefill forward passes (0 before any)
     */
    public double prefillTokensPerSecond() {
        return prefillNanos > 0 ? promptTokens / (prefillNanos / 1e9) : 0;
    }

    static EngineStats of(StrataModel m, long prompt, long generated, long prefill, long decode, long wait, int open, int queued,
                          long uptime) {
        List<TierStats> tiers = new ArrayList<>();
        long ssd = 0, promoted = 0;
        TieredExpertStore t = ModelLoader.tieredStore(m);
        if (t != null) {
            StoreStats s = t.stats();
            long total = s.acquires();
            long reached = total;
            for (Tier tier : Tier.values()) {
                long served = s.served(tier);
                tiers.add(new TierStats(tier.name().toLowerCase(java.util.Locale.ROOT), served, s.waitNs(tier),
                        reached > 0 ? (double) served / reached : Double.NaN));
                reached -= served;
            }
            ssd = s.ssdBytesRead();
            promoted = s.promotedBytes();
        }
        return new EngineStats(prompt, generated, prefill, decode, wait, open, queued, uptime, tiers, ssd, promoted);
    }
}
