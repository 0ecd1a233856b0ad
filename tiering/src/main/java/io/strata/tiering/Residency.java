// Where an expert is at one moment, as the store sees it: what a step planner needs to choose each expert's path.
package io.strata.tiering;

/** A snapshot of one expert's residency, from {@link ExpertStore#residency}; it may change as soon as it is returned. */
public enum Residency {
    /** A member of the fast tier (a VRAM copy on a GPU). */
    FAST,
    /** A member of the fast tier admitted by a prefetch hint and not acquired since: its copy was issued ahead of need. */
    FAST_PREFETCHED,
    /** Read and verified in a host slot, not in the fast tier. */
    HOST,
    /** Its read from the SSD is queued or under way. */
    LOADING,
    /** Only on the SSD. */
    SSD;

    /** The tier whose bytes an acquire would start from now. */
    public Tier tier() {
        return switch (this) {
            case FAST, FAST_PREFETCHED -> Tier.FAST;
            case HOST -> Tier.HOST;
            case LOADING, SSD -> Tier.SSD;
        };
    }
}
