// A lease on one resident expert: its memory stays valid until close().
package io.strata.tiering;

public interface ExpertHandle extends AutoCloseable {
    ExpertKey key();

    /** The expert's matrices; valid until {@link #close()}. */
    ExpertWeights weights();

    /** The tier that served this acquire (FAST = hit, else where it had to come from). */
    Tier servedFrom();

    /** Releases the lease; the store may evict the expert afterwards. */
    @Override
    void close();
}
