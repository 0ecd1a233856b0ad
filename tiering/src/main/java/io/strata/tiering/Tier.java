// The three places an expert can live, fastest first.
package io.strata.tiering;

public enum Tier {
    /** VRAM on a GPU; on a CPU-only run, the compute backend's resident set. */
    FAST,
    /** Host RAM (pinned when a GPU backend supplies the slabs). */
    HOST,
    /** The packed store or checkpoint on disk. */
    SSD
}
