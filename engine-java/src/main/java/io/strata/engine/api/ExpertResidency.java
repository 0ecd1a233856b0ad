// Where the routed experts are at one moment: an immutable snapshot for observability.
package io.strata.engine.api;

import io.strata.tiering.ExpertKey;
import java.util.List;

/**
 * Which experts the store holds in each tier when the snapshot was taken.
 *
 * @param fastTier  what the fast tier names itself (VRAM slots on a GPU, the resident set on a CPU), or "none"
 * @param fast      experts in the fast tier, in admission order
 * @param host      experts read and resident in host memory (for a checkpoint folder: none listed, every expert is
 *                  mapped in place)
 * @param hostSlots experts the host tier holds at most (0 when it is the mapping of a checkpoint folder)
 */
public record ExpertResidency(String fastTier, List<ExpertKey> fast, List<ExpertKey> host, int hostSlots) {
    /** Copies the lists: the snapshot never changes. */
    public ExpertResidency {
        fast = List.copyOf(fast);
        host = List.copyOf(host);
    }
}
