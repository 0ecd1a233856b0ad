// An expert handle that computes itself (e.g. FloE's sparse forward) instead of the dense SwiGLU.
package io.strata.engine.moe;

import io.strata.engine.backend.Backend;
import io.strata.engine.backend.Buf;

/**
 * When the handle returned by an ExpertStore implements this, the MoE block calls
 * {@link #forward} rather than {@link Backend#expertFfn}.
 */
public interface ExpertOverride {
    /** out (n, hidden) = expert(x (n, hidden)). */
    void forward(Backend backend, Buf x, int n, Buf out);
}
