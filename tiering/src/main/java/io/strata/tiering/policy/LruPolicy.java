// Least recently used: evict the candidate whose last request is oldest.
package io.strata.tiering.policy;

import io.strata.tiering.ExpertKey;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** LRU by request order (an internal sequence number, so two requests at one token are still ordered). */
public final class LruPolicy implements EvictionPolicy {
    private final Map<ExpertKey, Long> lastSeq = new HashMap<>();
    private long seq;

    @Override
    public String name() {
        return "lru";
    }

    @Override
    public void onAccess(ExpertKey key, long time) {
        lastSeq.put(key, ++seq);
    }

    @Override
    public void onInsert(ExpertKey key, long time) {
        lastSeq.putIfAbsent(key, ++seq);
    }

    @Override
    public void onEvict(ExpertKey key) {
        lastSeq.remove(key);
    }

    @Override
    public ExpertKey chooseVictim(List<ExpertKey> candidates, long time) {
        ExpertKey best = candidates.getFirst();
        long bestSeq = Long.MAX_VALUE;
        for (ExpertKey k : candidates) {
            long s = lastSeq.getOrDefault(k, 0L);
            if (s < bestSeq) {
                bestSeq = s;
                best = k;
            }
        }
        return best;
    }
}
