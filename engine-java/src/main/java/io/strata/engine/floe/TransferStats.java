// Counters of what FloE experts moved from the lower tier and how sparse their activations were.
package io.strata.engine.floe;

import java.util.concurrent.atomic.AtomicLong;

/** Thread-safe running totals; {@link #snapshot()} gives a JSON-able record. */
public final class TransferStats {
    private final AtomicLong bytesMoved = new AtomicLong();     // bytes copied lower tier → fast tier on demand
    private final AtomicLong reads = new AtomicLong();          // contiguous copies issued on demand
    private final AtomicLong rowsLoaded = new AtomicLong();     // channels whose gate+downT rows were copied on demand
    private final AtomicLong prefetchBytes = new AtomicLong();  // bytes copied ahead of need by the predictor
    private final AtomicLong prefetchReads = new AtomicLong();
    private final AtomicLong activations = new AtomicLong();    // (token, expert) forwards
    private final AtomicLong activeChannels = new AtomicLong(); // Σ |mask| over activations
    private final AtomicLong channels = new AtomicLong();       // Σ I over activations

    /**
     * @param bytesMoved     on-demand bytes from the lower tier
     * @param reads          on-demand contiguous copies (two per run of adjacent missing channels: gate, downT)
     * @param rowsLoaded     channels loaded on demand
     * @param prefetchBytes  bytes loaded early from predicted masks
     * @param prefetchReads  contiguous copies for those
     * @param activations    (token, expert) forwards
     * @param activeChannels Σ active channels over activations
     * @param channels       Σ I over activations
     */
    public record Snapshot(long bytesMoved, long reads, long rowsLoaded, long prefetchBytes, long prefetchReads,
                           long activations, long activeChannels, long channels) {
        /** Fraction of channels skipped, {@code 1 − activeChannels / channels}. */
        public double sparsity() {
            return channels == 0 ? 0 : 1.0 - (double) activeChannels / channels;
        }

        /** Mean active channels per activation. */
        public double meanActiveChannels() {
            return activations == 0 ? 0 : (double) activeChannels / activations;
        }
    }

    void moved(long bytes, long reads, long rows) {
        bytesMoved.addAndGet(bytes);
        this.reads.addAndGet(reads);
        rowsLoaded.addAndGet(rows);
    }

    void prefetched(long bytes, long reads) {
        prefetchBytes.addAndGet(bytes);
        prefetchReads.addAndGet(reads);
    }

    void activation(int active, int intermediate) {
        activations.incrementAndGet();
        activeChannels.addAndGet(active);
        channels.addAndGet(intermediate);
    }

    public Snapshot snapshot() {
        return new Snapshot(bytesMoved.get(), reads.get(), rowsLoaded.get(), prefetchBytes.get(), prefetchReads.get(),
                activations.get(), activeChannels.get(), channels.get());
    }

    public void reset() {
        for (AtomicLong a : new AtomicLong[] {bytesMoved, reads, rowsLoaded, prefetchBytes, prefetchReads, activations,
                activeChannels, channels}) {
            a.set(0);
        }
    }
}
