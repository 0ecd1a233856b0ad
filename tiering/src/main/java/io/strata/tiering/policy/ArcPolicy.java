// ARC (Megiddo & Modha, FAST 2003): adaptive replacement between a recency list and a frequency list.
package io.strata.tiering.policy;

import io.strata.tiering.ExpertKey;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * ARC keeps the resident experts in two LRU lists, T1 (requested once since they entered) and T2 (requested again),
 * and remembers recently evicted ones in two ghost lists B1 and B2. A request that hits a ghost in B1 says T1 was
 * too small: the target size p of T1 grows; one in B2 shrinks it. The victim is T1's least recent member when
 * |T1| exceeds p (or equals it and the request came from B2), else T2's.
 *
 * <p>Adapted to the caller-owns-the-cache seam: {@link #onAccess} does ARC's bookkeeping (hit: to T2's head; ghost
 * hit: adapt p; miss: trim the ghost lists), {@link #chooseVictim} applies ARC's REPLACE restricted to the
 * candidates (an expert pinned by the caller is skipped: the least recent candidate of the list REPLACE names, else
 * of the other list), {@link #onEvict} moves the victim to its ghost list, {@link #onInsert} puts a loaded expert in
 * T2 if it came from a ghost list, else T1. The cache size c is the most experts seen resident at once.
 *
 * <p>Order of calls: the replay (and the store when it acquires one expert at a time) reports a miss's request
 * before choosing its victim and loading it, as ARC expects. A store that loads a step's announced misses first
 * ({@code request()} before {@code acquire()}) inserts before the request arrives: the ghost-list adaptation then
 * happens at {@link #onInsert}, after the victim was chosen with the previous p, and the request that follows the
 * load is not counted as a second (T2-promoting) hit; the step's hits also reach ARC after its loads, not before.
 * The replay is exact ARC; in that store order ARC's decisions can differ (on the tiny-moe trace by up to 6 % in
 * misses).
 *
 * <p>Scope: with {@code perLayer} each layer is its own ARC (per-layer caches: the replay's default, the store's
 * {@code perLayer}); otherwise one ARC spans all layers (a global pool).
 */
public final class ArcPolicy implements EvictionPolicy {
    /** One ARC instance: lists ordered least recent first. */
    private static final class Arc {
        final LinkedHashSet<ExpertKey> t1 = new LinkedHashSet<>();
        final LinkedHashSet<ExpertKey> t2 = new LinkedHashSet<>();
        final LinkedHashSet<ExpertKey> b1 = new LinkedHashSet<>();
        final LinkedHashSet<ExpertKey> b2 = new LinkedHashSet<>();
        double p;       // target size of T1
        int c;          // cache size: most residents seen at once
        ExpertKey pending;       // the missed expert about to be loaded
        boolean pendingFromB2;
        boolean pendingToT2;
        final java.util.HashSet<ExpertKey> loadedAhead = new java.util.HashSet<>(); // inserted before their request

        int resident() {
            return t1.size() + t2.size();
        }

        void trim() {
            while (t1.size() + b1.size() > c && !b1.isEmpty()) {
                removeFirst(b1);
            }
            while (resident() + b1.size() + b2.size() > 2 * c && !b2.isEmpty()) {
                removeFirst(b2);
            }
        }
    }

    private static void removeFirst(LinkedHashSet<ExpertKey> s) {
        s.remove(s.getFirst());
    }

    private final boolean perLayer;
    private final Map<Integer, Arc> arcs = new HashMap<>();

    /** @param perLayer one ARC per layer (per-layer caches) or one for all (global pool) */
    public ArcPolicy(boolean perLayer) {
        this.perLayer = perLayer;
    }

    @Override
    public String name() {
        return "arc";
    }

    private Arc arc(ExpertKey k) {
        return arcs.computeIfAbsent(perLayer ? k.layer() : 0, x -> new Arc());
    }

    /** ARC's target size of T1 for the scope of {@code key} (for tests). */
    double target(ExpertKey key) {
        return arc(key).p;
    }

    @Override
    public void onAccess(ExpertKey x, long time) {
        Arc a = arc(x);
        if (a.loadedAhead.remove(x)) { // the request of a load announced ahead: its miss was handled at insert
            return;
        }
        if (a.t1.remove(x) || a.t2.remove(x)) { // case I: hit
            a.t2.add(x);
            return;
        }
        miss(a, x);
    }

    /** ARC's cases II-IV for a request of non-resident {@code x}: adapt p, trim the ghost lists. */
    private static void miss(Arc a, ExpertKey x) {
        a.pending = x;
        a.pendingFromB2 = false;
        if (a.b1.contains(x)) {                  // case II
            double d = a.b1.size() >= a.b2.size() ? 1 : (double) a.b2.size() / a.b1.size();
            a.p = Math.min(a.c, a.p + d);
            a.b1.remove(x);
            a.pendingToT2 = true;
        } else if (a.b2.contains(x)) {           // case III
            double d = a.b2.size() >= a.b1.size() ? 1 : (double) a.b1.size() / a.b2.size();
            a.p = Math.max(0, a.p - d);
            a.b2.remove(x);
            a.pendingFromB2 = true;
            a.pendingToT2 = true;
        } else {                                  // case IV: make room in the ghost lists
            a.pendingToT2 = false;
            if (a.t1.size() + a.b1.size() >= a.c) {
                if (!a.b1.isEmpty()) {
                    removeFirst(a.b1);
                }
            } else if (a.resident() + a.b1.size() + a.b2.size() >= 2 * a.c && !a.b2.isEmpty()) {
                removeFirst(a.b2);
            }
        }
    }

    @Override
    public void onInsert(ExpertKey key, long time) {
        Arc a = arc(key);
        if (!key.equals(a.pending)) { // loaded before its request (or prefetched): handle the miss now
            miss(a, key);
            a.loadedAhead.add(key);
        }
        boolean toT2 = a.pendingToT2;
        a.pending = null;
        a.b1.remove(key);
        a.b2.remove(key);
        (toT2 ? a.t2 : a.t1).add(key);
        a.c = Math.max(a.c, a.resident());
        a.trim();
    }

    @Override
    public void onEvict(ExpertKey key) {
        Arc a = arc(key);
        a.loadedAhead.remove(key);
        if (a.t1.remove(key)) {
            a.b1.add(key);
        } else if (a.t2.remove(key)) {
            a.b2.add(key);
        }
        a.trim();
    }

    @Override
    public ExpertKey chooseVictim(List<ExpertKey> candidates, long time) {
        ExpertKey first = candidates.getFirst();
        Arc a = arc(first);
        boolean fromB2 = a.pending != null && a.pendingFromB2;
        boolean fromT1 = !a.t1.isEmpty() && (a.t1.size() > a.p || (fromB2 && a.t1.size() == a.p));
        // Candidates may span scopes only in a global pool, where there is one scope.
        java.util.Set<ExpertKey> cand = candidates.size() <= 8 ? null : new java.util.HashSet<>(candidates);
        ExpertKey v = leastRecent(fromT1 ? a.t1 : a.t2, candidates, cand);
        if (v == null) {
            v = leastRecent(fromT1 ? a.t2 : a.t1, candidates, cand);
        }
        return v != null ? v : first;
    }

    private static ExpertKey leastRecent(LinkedHashSet<ExpertKey> list, List<ExpertKey> candidates,
                                         java.util.Set<ExpertKey> cand) {
        for (ExpertKey k : list) {
            if (cand != null ? cand.contains(k) : candidates.contains(k)) {
                return k;
            }
        }
        return null;
    }
}
