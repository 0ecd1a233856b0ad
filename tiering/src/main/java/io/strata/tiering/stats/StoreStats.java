// A snapshot of the expert store's counters: per-tier hits, misses, bytes and time waited.
package io.strata.tiering.stats;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.tiering.Tier;
import io.strata.tiering.host.ByteSize;
import java.util.Locale;

/**
 * Every acquire is served by exactly one tier: FAST (hit in the fast tier), HOST (fast miss, host hit), or SSD
 * (miss in both; it waited for a load). So fast hits = served[FAST], fast misses = served[HOST] + served[SSD],
 * host hits = served[HOST], host misses = served[SSD].
 *
 * @param served          acquires by serving tier, indexed by {@link Tier#ordinal()}
 * @param waitNs          nanoseconds acquire callers spent blocked, by serving tier
 * @param layerAcquires   (layers) acquires per layer (empty for a store that does not count by layer)
 * @param layerMisses     (layers) acquires per layer served from SSD (they waited for a read)
 * @param layerWaitNs     (layers) nanoseconds acquires of each layer spent blocked: the per-layer demand stall
 * @param ssdBytesRead    bytes read from the store into host slots (demand and prefetch)
 * @param ssdReads        expert loads completed (demand and prefetch)
 * @param ssdReadNs       nanoseconds loader threads spent reading and verifying
 * @param promotedBytes   bytes copied host → fast, i.e. host → VRAM on a GPU (0 on a CPU fast tier, which serves in place)
 * @param joinedLoads     acquires that found their expert already loading and waited on that load (no second read)
 * @param prefetchIssued  prefetch calls that started a load
 * @param prefetchUseful  acquires served by a prefetched expert before its first use
 * @param prefetchDropped prefetch calls that started no load: no free slot and no evictable expert
 * @param prefetchLate    acquires that found their expert's prefetch load still queued or reading and waited on it
 * @param prefetchCancelled prefetch loads withdrawn ({@link io.strata.tiering.ExpertStore#cancelPrefetch}) before
 *                        their read started (their slot was freed; they are still counted in prefetchIssued)
 * @param hostEvictions   experts dropped from host slots
 * @param fastEvictions   experts dropped from the fast tier
 * @param loadFailures    loads that failed (I/O error or CRC mismatch)
 */
public record StoreStats(long[] served, long[] waitNs, long[] layerAcquires, long[] layerMisses, long[] layerWaitNs, long ssdBytesRead, long ssdReads, long ssdReadNs,
                         long promotedBytes, long joinedLoads, long prefetchIssued, long prefetchUseful,
                         long prefetchDropped, long prefetchLate, long prefetchCancelled, long hostEvictions, long fastEvictions, long loadFailures) {
    public long acquires() {
        long n = 0;
        for (long s : served) {
            n += s;
        }
        return n;
    }

    public long served(Tier t) {
        return served[t.ordinal()];
    }

    public long waitNs(Tier t) {
        return waitNs[t.ordinal()];
    }

    public long fastHits() {
        return served(Tier.FAST);
    }

    public long fastMisses() {
        return served(Tier.HOST) + served(Tier.SSD);
    }

    public long hostHits() {
        return served(Tier.HOST);
    }

    public long hostMisses() {
        return served(Tier.SSD);
    }

    /** Fraction of acquires served by the fast tier. */
    public double fastHitRate() {
        long a = acquires();
        return a == 0 ? 0 : (double) fastHits() / a;
    }

    /** Fraction of fast misses the host tier served. */
    public double hostHitRate() {
        long m = fastMisses();
        return m == 0 ? 0 : (double) hostHits() / m;
    }

    /** Read throughput of the loader threads (bytes per second of read time, summed over threads). */
    public double ssdBytesPerSecond() {
        return ssdReadNs == 0 ? 0 : ssdBytesRead * 1e9 / ssdReadNs;
    }

    /** a + sign·b element-wise; the longer array's length (a store with no per-layer counts has empty arrays). */
    private static long[] plusScaled(long[] a, long[] b, int sign) {
        long[] r = java.util.Arrays.copyOf(a, Math.max(a.length, b.length));
        for (int i = 0; i < b.length; i++) r[i] += sign * b[i];
        return r;
    }

    /** Layers with per-layer counts. */
    public int layers() {
        return layerAcquires.length;
    }

    /** The demand stall of {@code layer} in nanoseconds (0 for a layer without counts). */
    public long stallNanos(int layer) {
        return layer < layerWaitNs.length ? layerWaitNs[layer] : 0;
    }

    /** Counters accumulated since {@code earlier}. */
    public StoreStats minus(StoreStats earlier) {
        long[] s = served.clone();
        long[] w = waitNs.clone();
        for (int i = 0; i < s.length; i++) {
            s[i] -= earlier.served[i];
            w[i] -= earlier.waitNs[i];
        }
        return new StoreStats(s, w, plusScaled(layerAcquires, earlier.layerAcquires, -1), plusScaled(layerMisses, earlier.layerMisses, -1),
                plusScaled(layerWaitNs, earlier.layerWaitNs, -1), ssdBytesRead - earlier.ssdBytesRead, ssdReads - earlier.ssdReads,
                ssdReadNs - earlier.ssdReadNs, promotedBytes - earlier.promotedBytes, joinedLoads - earlier.joinedLoads,
                prefetchIssued - earlier.prefetchIssued, prefetchUseful - earlier.prefetchUseful,
                prefetchDropped - earlier.prefetchDropped, prefetchLate - earlier.prefetchLate, prefetchCancelled - earlier.prefetchCancelled,
                hostEvictions - earlier.hostEvictions, fastEvictions - earlier.fastEvictions, loadFailures - earlier.loadFailures);
    }

    /** Counters of this and {@code other} added (e.g. the decode phases of several prompts). */
    public StoreStats plus(StoreStats other) {
        long[] s = served.clone();
        long[] w = waitNs.clone();
        for (int i = 0; i < s.length; i++) {
            s[i] += other.served[i];
            w[i] += other.waitNs[i];
        }
        return new StoreStats(s, w, plusScaled(layerAcquires, other.layerAcquires, 1), plusScaled(layerMisses, other.layerMisses, 1),
                plusScaled(layerWaitNs, other.layerWaitNs, 1), ssdBytesRead + other.ssdBytesRead, ssdReads + other.ssdReads,
                ssdReadNs + other.ssdReadNs, promotedBytes + other.promotedBytes, joinedLoads + other.joinedLoads,
                prefetchIssued + other.prefetchIssued, prefetchUseful + other.prefetchUseful,
                prefetchDropped + other.prefetchDropped, prefetchLate + other.prefetchLate, prefetchCancelled + other.prefetchCancelled,
                hostEvictions + other.hostEvictions, fastEvictions + other.fastEvictions, loadFailures + other.loadFailures);
    }

    /** A human-readable table. */
    public String toTable() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-6s %12s %8s %14s %12s%n", "tier", "served", "share", "wait ms", "avg wait us"));
        long a = acquires();
        for (Tier t : Tier.values()) {
            long n = served(t);
            sb.append(String.format(Locale.ROOT, "%-6s %12d %7.2f%% %14.3f %12.1f%n", t, n, a == 0 ? 0 : 100.0 * n / a,
                    waitNs(t) / 1e6, n == 0 ? 0 : waitNs(t) / 1e3 / n));
        }
        sb.append(String.format(Locale.ROOT, "fast hits %d misses %d (%.2f%%); host hits %d misses %d (%.2f%%)%n", fastHits(),
                fastMisses(), 100 * fastHitRate(), hostHits(), hostMisses(), 100 * hostHitRate()));
        sb.append(String.format(Locale.ROOT, "ssd: %d loads, %s read, %.1f MiB/s per loader thread; joined loads %d; "
                        + "load failures %d%n", ssdReads, ByteSize.format(ssdBytesRead), ssdBytesPerSecond() / (1 << 20),
                joinedLoads, loadFailures));
        if (layerAcquires.length > 0) {
            sb.append("stall per layer ms:");
            for (int l = 0; l < layerWaitNs.length; l++) sb.append(String.format(Locale.ROOT, " %.2f", layerWaitNs[l] / 1e6));
            sb.append(System.lineSeparator());
        }
        sb.append(String.format(Locale.ROOT, "prefetch: %d issued, %d useful (%d of them late), %d dropped (no slot), %d cancelled before reading; "
                        + "evictions: host %d, fast %d; copied host -> fast %s%n",
                prefetchIssued, prefetchUseful, prefetchLate, prefetchDropped, prefetchCancelled, hostEvictions, fastEvictions, ByteSize.format(promotedBytes)));
        return sb.toString();
    }

    /** JSON form (snake_case keys). */
    public ObjectNode toJson() {
        ObjectNode n = new ObjectMapper().createObjectNode();
        ObjectNode tiers = n.putObject("tiers");
        for (Tier t : Tier.values()) {
            tiers.putObject(t.name().toLowerCase(Locale.ROOT)).put("served", served(t)).put("wait_ns", waitNs(t));
        }
        n.put("acquires", acquires()).put("fast_hits", fastHits()).put("fast_misses", fastMisses())
                .put("host_hits", hostHits()).put("host_misses", hostMisses()).put("fast_hit_rate", fastHitRate())
                .put("ssd_bytes_read", ssdBytesRead).put("ssd_reads", ssdReads).put("ssd_read_ns", ssdReadNs)
                .put("promoted_bytes", promotedBytes).put("joined_loads", joinedLoads)
                .put("prefetch_issued", prefetchIssued).put("prefetch_useful", prefetchUseful)
                .put("prefetch_late", prefetchLate).put("prefetch_dropped", prefetchDropped).put("prefetch_cancelled", prefetchCancelled)
                .put("host_evictions", hostEvictions).put("fast_evictions", fastEvictions)
                .put("load_failures", loadFailures).put("host_to_fast_bytes", promotedBytes);
        var layers = n.putArray("layers");
        for (int l = 0; l < layerAcquires.length; l++) {
            layers.addObject().put("layer", l).put("acquires", layerAcquires[l]).put("ssd_misses", layerMisses[l])
                    .put("stall_ns", layerWaitNs[l]);
        }
        return n;
    }
}
