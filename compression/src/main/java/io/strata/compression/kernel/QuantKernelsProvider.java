// Former entry point of the quantized kernels, now a forwarder to the one provider, Kernels.
package io.strata.compression.kernel;

/**
 * Forwards to {@link Kernels}, which makes the one choice for dense and quantized kernels.
 * No selection happens here; callers should move to {@link Kernels#quant()}.
 */
@Deprecated(forRemoval = true)
public final class QuantKernelsProvider {
    private QuantKernelsProvider() {}

    /** {@link Kernels#quant()}. */
    public static QuantKernels get() {
        return Kernels.quant();
    }

    /** {@link Kernels#reason()}. */
    public static String reason() {
        return Kernels.reason();
    }

    /** {@link Kernels#scalarQuant()}. */
    public static QuantKernels scalar() {
        return Kernels.scalarQuant();
    }

    /** {@link Kernels#vectorQuantOrNull()}. */
    public static QuantKernels vectorOrNull() {
        return Kernels.vectorQuantOrNull();
    }
}
