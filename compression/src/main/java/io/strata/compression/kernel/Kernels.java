// Chooses the CPU kernel implementation once, and says why.
package io.strata.compression.kernel;

import java.lang.System.Logger.Level;

/**
 * Provider of the CPU kernels. The Vector API path is used when the
 * {@code jdk.incubator.vector} module is present and the preferred vector is at least
 * 128 bits; {@code -Dstrata.vector=false} forces the scalar twin. The choice and its reason
 * are logged once.
 */
public final class Kernels {
    private static final System.Logger LOG = System.getLogger("strata.kernels");
    private static volatile DenseKernels dense;
    private static volatile String reason;

    private Kernels() {}

    public static DenseKernels dense() {
        DenseKernels d = dense;
        if (d == null) {
            synchronized (Kernels.class) {
                if (dense == null) {
                    dense = choose();
                    // Chosen lazily, possibly mid-generation: the usual choice is DEBUG so it never interleaves with streamed
                    // text on a terminal; a fallback to the scalar kernels stays INFO with its reason.
                    LOG.log(dense.name().contains("scalar") ? Level.INFO : Level.DEBUG, "CPU kernels: " + dense.name() + " (" + reason + ")");
                }
                d = dense;
            }
        }
        return d;
    }

    /** Why the current kernels were chosen. */
    public static String reason() {
        dense();
        return reason;
    }

    public static DenseKernels scalar() {
        return new ScalarDenseKernels();
    }

    /** The Vector API kernels, or null (with {@link #reason()} set) when unavailable. */
    public static DenseKernels vectorOrNull() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            reason = "jdk.incubator.vector not in the boot layer; run with --add-modules jdk.incubator.vector";
            return null;
        }
        try {
            int bits = VectorDenseKernels.lanes() * 32;
            if (bits < 128) {
                reason = "preferred vector is only " + bits + " bits";
                return null;
            }
            reason = "Vector API with " + bits + "-bit float vectors";
            return new VectorDenseKernels();
        } catch (Throwable t) {
            reason = "Vector API failed to initialise: " + t;
            return null;
        }
    }

    private static DenseKernels choose() {
        if ("false".equalsIgnoreCase(System.getProperty("strata.vector"))) {
            reason = "-Dstrata.vector=false";
            return new ScalarDenseKernels();
        }
        DenseKernels v = vectorOrNull();
        return v != null ? v : new ScalarDenseKernels();
    }
}
