// The CUDA backend cannot run here: no driver library, no device, or the fatbin does not load.
package io.strata.kernels.cuda;

/** Message is always "CUDA backend unavailable: &lt;reason&gt;". */
public final class CudaUnavailableException extends RuntimeException {
    public CudaUnavailableException(String reason, Throwable cause) {
        super("CUDA backend unavailable: " + reason, cause);
    }
}
