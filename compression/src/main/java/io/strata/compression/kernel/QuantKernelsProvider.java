// Chooses the quantized/gathered-row CPU kernels once, and says why.
package io.strata.compression.kernel;

import java.lang.System.Logger.Level;

/**
 * Provider of {@link QuantKernels}. The Vector API path is used when the
 * {@code jdk.incubator.vector} module is present and the machine's preferred float vector is at
 * least 256 bits; {@code -Dstrata.vector=false} forces the scalar twin. The choice and its reason
 * are logged once.
 */
public final class QuantKernelsProvider {
    private static final System.Logger LOG = System.getLogger("strata.kernels");
    private static volatile QuantKernels kernels;
    private static volatile String reason;

    private QuantKernelsProvider() {}

    public static QuantKernels get() {
        QuantKernels k = kernels;
        if (k == null) {
            synchronized (QuantKernelsProvider.class) {
                if (kernels == null) {
                    kernels = choose();
                    // Chosen lazily, possibly mid-generation: the usual choice is DEBUG so it never interleaves with streamed
                    // text on a terminal; a fallback to the scalar kernels stays INFO with its reason.
                    LOG.log(kernels.name().contains("scalar") ? Level.INFO : Level.DEBUG, "quantized CPU kernels: " + kernels.name() + " (" + reason + ")");
                }
                k = kernels;
            }
        }
        return k;
    }

    /** Why the current kernels were chosen. */
    public static String reason() {
        get();
        return reason;
    }

    public static QuantKernels scalar() {
        return new ScalarQuantKernels();
    }

    /** The Vector API kernels, or null (with {@link #reason()} set) when unavailable. */
    public static QuantKernels vectorOrNull() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            reason = "jdk.incubator.vector not in the boot layer; run with --add-modules jdk.incubator.vector";
            return null;
        }
        try {
            int bits = VectorQuantKernels.preferredBits();
            if (bits < 256) {
                reason = "preferred vector is only " + bits + " bits; the packed-code kernels need at least 256";
                return null;
            }
            reason = "Vector API with " + bits + "-bit vectors";
            return new VectorQuantKernels();
        } catch (Throwable t) {
            reason = "Vector API failed to initialise: " + t;
            return null;
        }
    }

    private static QuantKernels choose() {
        if ("false".equalsIgnoreCase(System.getProperty("strata.vector"))) {
            reason = "-Dstrata.vector=false";
            return new ScalarQuantKernels();
        }
        QuantKernels v = vectorOrNull();
        return v != null ? v : new ScalarQuantKernels();
    }
}
