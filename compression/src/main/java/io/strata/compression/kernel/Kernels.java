// The one provider of the CPU kernels, dense and quantized: chooses Vector API or scalar once, and says why.
package io.strata.compression.kernel;

import java.lang.System.Logger.Level;

/**
 * Provider of every CPU kernel family ({@link DenseKernels}, {@link QuantKernels}). One decision
 * covers both: the Vector API versions run when the {@code jdk.incubator.vector} module is in the
 * boot layer and the machine's preferred float vector is wide enough (128 bits for the dense
 * kernels, 256 for the packed-code kernels, whose int lanes must each hold a whole run of codes);
 * {@code -Dstrata.vector=false} selects the scalar twins everywhere. The choice and, for every
 * family that fell back to scalar, the reason are logged once.
 *
 * <p>No Vector API type is named here, so this class loads, and logs its fallback, on a JVM started
 * without the incubator module; the vector classes are touched only after the module check.
 */
public final class Kernels {
    private static final System.Logger LOG = System.getLogger("strata.kernels");

    /** The decision: one implementation per family and why each was chosen. */
    private record Choice(DenseKernels dense, String denseReason, QuantKernels quant, String quantReason) {}

    /** The result of probing the Vector API: the preferred float vector width, or why it is unusable. */
    private record Probe(int bits, String failure) {}

    private static volatile Choice choice;

    private Kernels() {}

    private static Choice choice() {
        Choice c = choice;
        if (c == null) {
            synchronized (Kernels.class) {
                if (choice == null) {
                    choice = choose();
                    // Chosen lazily, possibly mid-generation: the usual choice is DEBUG so it never interleaves with streamed
                    // text on a terminal; a fallback to the scalar kernels stays INFO with its reason.
                    boolean scalar = choice.dense.name().contains("scalar") || choice.quant.name().contains("scalar");
                    LOG.log(scalar ? Level.INFO : Level.DEBUG, "CPU kernels: dense " + choice.dense.name() + " (" + choice.denseReason
                            + "), quantized " + choice.quant.name() + " (" + choice.quantReason + ")");
                }
                c = choice;
            }
        }
        return c;
    }

    /** The dense kernels chosen for this JVM. */
    public static DenseKernels dense() {
        return choice().dense;
    }

    /** The quantized and gathered-row kernels chosen for this JVM. */
    public static QuantKernels quant() {
        return choice().quant;
    }

    /** Why the dense and quantized kernels were chosen, e.g. {@code "Vector API with 512-bit vectors"}. */
    public static String reason() {
        Choice c = choice();
        return c.denseReason.equals(c.quantReason) ? c.denseReason : "dense: " + c.denseReason + "; quantized: " + c.quantReason;
    }

    /** The scalar dense kernels: the specification every vector kernel is tested against. */
    public static DenseKernels scalar() {
        return new ScalarDenseKernels();
    }

    /** The scalar quantized kernels: the specification of the vector versions. */
    public static QuantKernels scalarQuant() {
        return new ScalarQuantKernels();
    }

    /** The Vector API dense kernels, or null when this machine/JVM cannot run them ({@link #reason()} says why). */
    public static DenseKernels vectorOrNull() {
        Probe p = probe();
        return p.failure == null && p.bits >= 128 ? new VectorDenseKernels() : null;
    }

    /** The Vector API quantized kernels, or null when this machine/JVM cannot run them. */
    public static QuantKernels vectorQuantOrNull() {
        Probe p = probe();
        return p.failure == null && p.bits >= 256 ? new VectorQuantKernels() : null;
    }

    private static Probe probe() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return new Probe(0, "jdk.incubator.vector not in the boot layer; run with --add-modules jdk.incubator.vector");
        }
        try {
            return new Probe(VectorDenseKernels.lanes() * 32, null);
        } catch (Throwable t) {
            return new Probe(0, "Vector API failed to initialise: " + t);
        }
    }

    private static Choice choose() {
        if ("false".equalsIgnoreCase(System.getProperty("strata.vector"))) {
            return new Choice(scalar(), "-Dstrata.vector=false", scalarQuant(), "-Dstrata.vector=false");
        }
        Probe p = probe();
        if (p.failure != null) return new Choice(scalar(), p.failure, scalarQuant(), p.failure);
        String vector = "Vector API with " + p.bits + "-bit vectors";
        DenseKernels dense = p.bits >= 128 ? new VectorDenseKernels() : scalar();
        String denseReason = p.bits >= 128 ? vector : "preferred vector is only " + p.bits + " bits";
        QuantKernels quant = p.bits >= 256 ? new VectorQuantKernels() : scalarQuant();
        String quantReason = p.bits >= 256 ? vector
                : "preferred vector is only " + p.bits + " bits; the packed-code kernels need at least 256";
        return new Choice(dense, denseReason, quant, quantReason);
    }
}
