// The classical policies' scores as learned-policy features: least-stale's expected residual and three LRFU CRFs.
package io.strata.tiering.policy;

import io.strata.tiering.ExpertKey;
import java.util.HashMap;
import java.util.Map;

/**
 * Keeps a {@link LeastStalePolicy} and three {@link LrfuPolicy} (λ = 1/4, 1/32 and 1/128 per token) up to date on the
 * requests and writes their scores as {@value #FEATURES} features. A request repeated within one token (the replay
 * reports a step both through routing and access) counts once.
 */
final class BaselineScores {
    static final int FEATURES = 4;
    private final LeastStalePolicy stale = new LeastStalePolicy();
    private final LrfuPolicy fast = new LrfuPolicy(1.0 / 4);
    private final LrfuPolicy slow = new LrfuPolicy(1.0 / 32);
    private final LrfuPolicy slower = new LrfuPolicy(1.0 / 128);
    private final Map<ExpertKey, Long> last = new HashMap<>();

    void access(ExpertKey key, long time) {
        Long l = last.put(key, time);
        if (l != null && l == time) {
            return;
        }
        stale.onAccess(key, time);
        fast.onAccess(key, time);
        slow.onAccess(key, time);
        slower.onAccess(key, time);
    }

    /** Writes the features of {@code key} at {@code time} to {@code out[off .. off + FEATURES)}. */
    void features(ExpertKey key, long time, double[] out, int off) {
        double r = stale.expectedResidual(key, time);
        out[off] = Math.log1p(Math.min(r, 4096)) / 8;
        out[off + 1] = Math.max(-64, fast.log2Crf(key, time)) / 8;
        out[off + 2] = Math.max(-64, slow.log2Crf(key, time)) / 8;
        out[off + 3] = Math.max(-64, slower.log2Crf(key, time)) / 8;
    }
}
