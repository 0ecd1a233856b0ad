// One probe for "can the CUDA backend run here?", with the reason when it cannot (tests skip on it).
package io.strata.kernels.cuda;

/** Opens {@link CudaContext#shared()} once and remembers the outcome. */
public final class CudaAvailability {
    private static volatile Boolean available;
    private static volatile String reason;

    private CudaAvailability() {}

    /** True when a CUDA device, the driver and our fatbin all work on this machine. */
    public static boolean available() {
        Boolean a = available;
        if (a == null) {
            synchronized (CudaAvailability.class) {
                if (available == null) {
                    try {
                        CudaContext c = CudaContext.shared();
                        reason = "CUDA available: " + c.describe();
                        available = Boolean.TRUE;
                    } catch (CudaUnavailableException e) {
                        reason = e.getMessage();
                        available = Boolean.FALSE;
                    } catch (Throwable t) {
                        reason = "CUDA backend unavailable: " + t;
                        available = Boolean.FALSE;
                    }
                }
                a = available;
            }
        }
        return a;
    }

    /** Why {@link #available()} answered as it did ("CUDA backend unavailable: ..." when false). */
    public static String reason() {
        available();
        return reason;
    }
}
